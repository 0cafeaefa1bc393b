import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { getBannedWords } from '../shared/password-protection/manage';
import { httpFunction } from '../shared/runtime/definitions';
import { bannedWordsDeps } from '../shared/runtime/passwordProtection';

/** The tenant's custom banned-password list, whether it is enforced, and Microsoft's limits. */
export const bannedWordsGetHandler = httpHandler(async ({ services }) =>
  json(200, await getBannedWords(bannedWordsDeps(services))),
);

export const bannedWordsGet = httpFunction('bannedWordsGet', {
  route: 'password-protection/banned-words',
  methods: ['GET'],
  authLevel: 'function',
  handler: bannedWordsGetHandler,
});
