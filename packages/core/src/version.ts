/** Kept equal to package.json's version by the release workflow and a test. */
export const VERSION = '0.1.0';
