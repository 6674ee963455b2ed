import {
  SMB2_CHANGE_NOTIFY,
  SMB2_CLOSE,
  SMB2_CREATE,
  SMB2_ECHO,
  SMB2_FLUSH,
  SMB2_IOCTL,
  SMB2_LOCK,
  SMB2_LOGOFF,
  SMB2_NEGOTIATE,
  SMB2_OPLOCK_BREAK,
  SMB2_QUERY_DIRECTORY,
  SMB2_QUERY_INFO,
  SMB2_READ,
  SMB2_SESSION_SETUP,
  SMB2_SET_INFO,
  SMB2_TREE_CONNECT,
  SMB2_TREE_DISCONNECT,
  SMB2_WRITE,
} from "../../../protocol/smb2/constants.js";
import type { SmbCommand } from "../command.js";
import { changeNotify } from "./change-notify.js";
import { close } from "./close.js";
import { create } from "./create.js";
import { echo } from "./echo.js";
import { flush } from "./flush.js";
import { ioctl } from "./ioctl.js";
import { lock } from "./lock.js";
import { logoff } from "./logoff.js";
import { negotiate } from "./negotiate.js";
import { oplockBreak } from "./oplock-break.js";
import { queryDirectory } from "./query-directory.js";
import { queryInfo } from "./query-info.js";
import { read } from "./read.js";
import { sessionSetup } from "./session-setup.js";
import { setInfo } from "./set-info.js";
import { treeConnect } from "./tree-connect.js";
import { treeDisconnect } from "./tree-disconnect.js";
import { write } from "./write.js";

/** Command code → command (MS-SMB2 §2.2.1.2). CANCEL never reaches the table: it has no response. */
const COMMANDS: ReadonlyMap<number, SmbCommand> = new Map([
  [SMB2_NEGOTIATE, negotiate],
  [SMB2_SESSION_SETUP, sessionSetup],
  [SMB2_LOGOFF, logoff],
  [SMB2_TREE_CONNECT, treeConnect],
  [SMB2_TREE_DISCONNECT, treeDisconnect],
  [SMB2_CREATE, create],
  [SMB2_CLOSE, close],
  [SMB2_FLUSH, flush],
  [SMB2_READ, read],
  [SMB2_WRITE, write],
  [SMB2_LOCK, lock],
  [SMB2_IOCTL, ioctl],
  [SMB2_ECHO, echo],
  [SMB2_QUERY_DIRECTORY, queryDirectory],
  [SMB2_CHANGE_NOTIFY, changeNotify],
  [SMB2_QUERY_INFO, queryInfo],
  [SMB2_SET_INFO, setInfo],
  [SMB2_OPLOCK_BREAK, oplockBreak],
]);

export function commandFor(code: number): SmbCommand | undefined {
  return COMMANDS.get(code);
}
