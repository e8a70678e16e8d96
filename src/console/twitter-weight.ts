import { createRequire } from 'node:module';

// twitter-text ships no types; loaded through require so the console needs no ambient declaration.
const twitterText = createRequire(import.meta.url)('twitter-text') as {
  parseTweet(text: string): { weightedLength: number; valid: boolean };
};

/** X's weighted length (URLs count 23, CJK and emoji 2) and whether it is within 280. */
export function tweetWeight(text: string): { weighted: number; valid: boolean } {
  const parsed = twitterText.parseTweet(text);
  return { weighted: parsed.weightedLength, valid: parsed.valid };
}
