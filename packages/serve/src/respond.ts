/** The one way the server answers: a JSON body with its length. */
import type { ServerResponse } from 'node:http';

export function send(res: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return status;
}
