export type ToolName = "nfs-ls" | "nfs-cp" | "nfs-cat" | "libnfs-dev" | "gcc" | "ganesha.nfsd" | "ganesha-vfs" | "smbclient" | "smbtorture" | "gvfs-smb" | "gvfs-fuse" | "dbus-run-session" | "dbus-daemon" | "gnome-keyring";

export declare const TOOLS: Record<ToolName, { command?: string; file?: string; packages: string[] }>;
export declare const NFS_CLIENT_TOOLS: ToolName[];
export declare function requireTools(tools: ToolName[]): Promise<void>;
