import { z } from 'zod';

import { httpHandler } from '../shared/http/handler';
import { readJson } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { putBannedWords } from '../shared/password-protection/manage';
import { httpFunction } from '../shared/runtime/definitions';
import { bannedWordsDeps } from '../shared/runtime/passwordProtection';

/** Counts and lengths are judged by the use case, which names every offending word; this only bounds the input. */
const body = z.strictObject({
  words: z.array(z.string().max(256)).max(5000),
  mode: z.enum(['replace', 'add', 'remove']).default('replace'),
  dryRun: z.boolean().default(true),
  /** Sets EnableBannedPasswordCheck (enforce the custom list); left as it is when absent. */
  enforce: z.boolean().optional(),
});

export const bannedWordsPutHandler = httpHandler(async ({ request, services, caller }) => {
  const { enforce, ...rest } = await readJson(request, body);
  const result = await putBannedWords(
    bannedWordsDeps(services),
    { ...rest, ...(enforce === undefined ? {} : { enforce }) },
    caller.name,
  );
  return json(200, result);
});

export const bannedWordsPut = httpFunction('bannedWordsPut', {
  route: 'password-protection/banned-words',
  methods: ['PUT'],
  authLevel: 'function',
  handler: bannedWordsPutHandler,
});
