/**
 * An SMB2 SESSION_SETUP exchange failed: wrong password, unknown user, refused mechanism or a
 * malformed token. The adapter answers STATUS_LOGON_FAILURE (MS-SMB2 §3.3.5.5.3) and drops the
 * exchange; `reason` is for the server's log (it never holds a password, hash or key).
 */
export class NtlmAuthError extends Error {
  override name = "NtlmAuthError";

  constructor(readonly reason: string) {
    super(`NTLM authentication failed: ${reason}`);
  }
}
