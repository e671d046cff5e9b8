/**
 * Find our comment, then edit it or create it: the part GitHub and GitLab share. Each forge
 * supplies how to list, create and edit; this decides which, and keeps a flaky create from
 * leaving two comments behind.
 */

import { sleep } from '../../net/retry.ts';
import { compose, isOurs } from './body.ts';
import { ApiFailure, type HttpOptions, retryDelay } from './http.ts';

export interface Comment {
  id: number;
  body: string;
  /** Where a person sees it; absent when the forge does not say. */
  url: string | undefined;
}

export interface CommentApi {
  /** The thread's comments, oldest first, a page at a time, so the search can stop early. */
  pages(): AsyncIterable<Comment[]>;
  create(body: string): Promise<Comment>;
  update(id: number, body: string): Promise<Comment>;
}

export interface UpsertResult {
  action: 'created' | 'updated';
  id: number;
  url: string | undefined;
}

export async function upsert(
  api: CommentApi,
  key: string,
  body: string,
  limit: number,
  options: HttpOptions = {},
): Promise<UpsertResult> {
  const text = compose(key, body, limit);
  const tries = options.tries ?? 3;
  for (let attempt = 1; ; attempt++) {
    const existing = await find(api, key);
    try {
      if (existing) return await updateOrCreate(api, existing.id, text);
      return result('created', await api.create(text));
    } catch (e) {
      // A create that failed on the way back may have landed all the same; the next attempt
      // looks again first, and edits it if it did.
      const creating = e instanceof ApiFailure && !existing;
      if (!creating || !e.transient || attempt >= tries) {
        if (creating) e.attempts = attempt;
        throw e;
      }
      await sleep(retryDelay(e, attempt, options), options.signal);
    }
  }
}

async function find(api: CommentApi, key: string): Promise<Comment | undefined> {
  for await (const page of api.pages()) {
    const ours = page.find((c) => isOurs(c.body, key));
    if (ours) return ours;
  }
  return undefined;
}

/** Someone deleted our comment between the listing and the edit: post a fresh one. */
async function updateOrCreate(api: CommentApi, id: number, text: string): Promise<UpsertResult> {
  try {
    return result('updated', await api.update(id, text));
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 404) return result('created', await api.create(text));
    throw e;
  }
}

const result = (action: UpsertResult['action'], c: Comment): UpsertResult => ({
  action,
  id: c.id,
  url: c.url,
});
