import { resolveSecret, type SecretResolver } from "../../config/secrets.js";
import type { SmbUserConfig } from "../../config/types.js";
import { ntHash } from "../../protocol/smb2/ntlm/crypto.js";
import type { SmbUser } from "./context.js";

/** The configured users with their passwords resolved (env:, file:, secret:) and hashed (NTOWFv1); the passwords are dropped. */
export async function resolveSmbUsers(users: readonly SmbUserConfig[], secrets: SecretResolver | null): Promise<SmbUser[]> {
  return Promise.all(
    users.map(async (user) => ({
      name: user.name,
      ntHash: ntHash(await resolveSecret(user.password, secrets)),
      auth: { uid: user.uid, gid: user.gid, gids: [...user.gids] },
    })),
  );
}
