/** SMB2/3 constants, with the names MS-SMB2 gives them (section noted per group). */

/** ProtocolId of an SMB2 message, of an SMB1 message and of a TRANSFORM_HEADER (§2.2.1, §2.2.41). */
export const SMB2_PROTOCOL_ID = 0x424d53fe;
export const SMB1_PROTOCOL_ID = 0x424d53ff;
export const SMB2_TRANSFORM_PROTOCOL_ID = 0x424d53fd;
export const SMB2_HEADER_SIZE = 64;

/** Commands (§2.2.1.2). */
export const SMB2_NEGOTIATE = 0x0000;
export const SMB2_SESSION_SETUP = 0x0001;
export const SMB2_LOGOFF = 0x0002;
export const SMB2_TREE_CONNECT = 0x0003;
export const SMB2_TREE_DISCONNECT = 0x0004;
export const SMB2_CREATE = 0x0005;
export const SMB2_CLOSE = 0x0006;
export const SMB2_FLUSH = 0x0007;
export const SMB2_READ = 0x0008;
export const SMB2_WRITE = 0x0009;
export const SMB2_LOCK = 0x000a;
export const SMB2_IOCTL = 0x000b;
export const SMB2_CANCEL = 0x000c;
export const SMB2_ECHO = 0x000d;
export const SMB2_QUERY_DIRECTORY = 0x000e;
export const SMB2_CHANGE_NOTIFY = 0x000f;
export const SMB2_QUERY_INFO = 0x0010;
export const SMB2_SET_INFO = 0x0011;
export const SMB2_OPLOCK_BREAK = 0x0012;

/** Header flags (§2.2.1.2). */
export const SMB2_FLAGS_SERVER_TO_REDIR = 0x00000001;
export const SMB2_FLAGS_ASYNC_COMMAND = 0x00000002;
export const SMB2_FLAGS_RELATED_OPERATIONS = 0x00000004;
export const SMB2_FLAGS_SIGNED = 0x00000008;
export const SMB2_FLAGS_PRIORITY_MASK = 0x00000070;
export const SMB2_FLAGS_DFS_OPERATIONS = 0x10000000;
export const SMB2_FLAGS_REPLAY_OPERATION = 0x20000000;

/** Dialects (§2.2.3). */
export const SMB2_DIALECT_202 = 0x0202;
export const SMB2_DIALECT_210 = 0x0210;
export const SMB2_DIALECT_300 = 0x0300;
export const SMB2_DIALECT_302 = 0x0302;
export const SMB2_DIALECT_311 = 0x0311;
/** SMB2 NEGOTIATE with this dialect answers an SMB1 negotiate that offers "SMB 2.???" (§3.3.5.3.1). */
export const SMB2_DIALECT_WILDCARD = 0x02ff;

/** SecurityMode (§2.2.3, §2.2.4). */
export const SMB2_NEGOTIATE_SIGNING_ENABLED = 0x0001;
export const SMB2_NEGOTIATE_SIGNING_REQUIRED = 0x0002;

/** Capabilities (§2.2.4). */
export const SMB2_GLOBAL_CAP_DFS = 0x00000001;
export const SMB2_GLOBAL_CAP_LEASING = 0x00000002;
export const SMB2_GLOBAL_CAP_LARGE_MTU = 0x00000004;
export const SMB2_GLOBAL_CAP_MULTI_CHANNEL = 0x00000008;
export const SMB2_GLOBAL_CAP_PERSISTENT_HANDLES = 0x00000010;
export const SMB2_GLOBAL_CAP_DIRECTORY_LEASING = 0x00000020;
export const SMB2_GLOBAL_CAP_ENCRYPTION = 0x00000040;

/** Negotiate context types (§2.2.3.1). */
export const SMB2_PREAUTH_INTEGRITY_CAPABILITIES = 0x0001;
export const SMB2_ENCRYPTION_CAPABILITIES = 0x0002;
export const SMB2_COMPRESSION_CAPABILITIES = 0x0003;
export const SMB2_NETNAME_NEGOTIATE_CONTEXT_ID = 0x0005;
export const SMB2_TRANSPORT_CAPABILITIES = 0x0006;
export const SMB2_RDMA_TRANSFORM_CAPABILITIES = 0x0007;
export const SMB2_SIGNING_CAPABILITIES = 0x0008;
export const SHA_512 = 0x0001;

/** SESSION_SETUP (§2.2.5, §2.2.6). */
export const SMB2_SESSION_FLAG_BINDING = 0x01;
export const SMB2_SESSION_FLAG_IS_GUEST = 0x0001;
export const SMB2_SESSION_FLAG_IS_NULL = 0x0002;
export const SMB2_SESSION_FLAG_ENCRYPT_DATA = 0x0004;

/** TREE_CONNECT response (§2.2.10). */
export const SMB2_SHARE_TYPE_DISK = 0x01;
export const SMB2_SHARE_TYPE_PIPE = 0x02;
export const SMB2_SHAREFLAG_MANUAL_CACHING = 0x00000000;
export const SMB2_SHAREFLAG_NO_CACHING = 0x00000030;
export const SMB2_SHAREFLAG_ENCRYPT_DATA = 0x00008000;
export const SMB2_SHARE_CAP_DFS = 0x00000008;

/** TREE_CONNECT flags and the SMB 3.1.1 extension (§2.2.9). */
export const SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT = 0x0004;

/** CREATE: oplock levels (§2.2.13). */
export const SMB2_OPLOCK_LEVEL_NONE = 0x00;
export const SMB2_OPLOCK_LEVEL_II = 0x01;
export const SMB2_OPLOCK_LEVEL_EXCLUSIVE = 0x08;
export const SMB2_OPLOCK_LEVEL_BATCH = 0x09;
export const SMB2_OPLOCK_LEVEL_LEASE = 0xff;

/** Lease states and flags (§2.2.13.2.8, §2.2.23.2). */
export const SMB2_LEASE_READ_CACHING = 0x01;
export const SMB2_LEASE_HANDLE_CACHING = 0x02;
export const SMB2_LEASE_WRITE_CACHING = 0x04;
export const SMB2_LEASE_FLAG_BREAK_IN_PROGRESS = 0x02;
export const SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET = 0x04;
export const SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED = 0x01;

/** CREATE: CreateDisposition (§2.2.13). */
export const FILE_SUPERSEDE = 0;
export const FILE_OPEN = 1;
export const FILE_CREATE = 2;
export const FILE_OPEN_IF = 3;
export const FILE_OVERWRITE = 4;
export const FILE_OVERWRITE_IF = 5;

/** CREATE: CreateAction in the response (§2.2.14). */
export const FILE_SUPERSEDED = 0;
export const FILE_OPENED = 1;
export const FILE_CREATED = 2;
export const FILE_OVERWRITTEN = 3;

/** CREATE: CreateOptions (§2.2.13). */
export const FILE_DIRECTORY_FILE = 0x00000001;
export const FILE_WRITE_THROUGH = 0x00000002;
export const FILE_SEQUENTIAL_ONLY = 0x00000004;
export const FILE_NO_INTERMEDIATE_BUFFERING = 0x00000008;
export const FILE_NON_DIRECTORY_FILE = 0x00000040;
export const FILE_CREATE_TREE_CONNECTION = 0x00000080;
export const FILE_NO_EA_KNOWLEDGE = 0x00000200;
export const FILE_RANDOM_ACCESS = 0x00000800;
export const FILE_DELETE_ON_CLOSE = 0x00001000;
export const FILE_OPEN_BY_FILE_ID = 0x00002000;
export const FILE_OPEN_FOR_BACKUP_INTENT = 0x00004000;
export const FILE_RESERVE_OPFILTER = 0x00100000;
export const FILE_OPEN_REPARSE_POINT = 0x00200000;
/** CreateOptions bits reserved for the server's own use; a client sets none (§3.3.5.9). */
export const CREATE_OPTIONS_RESERVED_MASK = 0xff000000;

/** CREATE: the largest ImpersonationLevel, SecurityDelegation (§2.2.13). */
export const SMB2_IMPERSONATION_DELEGATE = 3;

/** CREATE: ShareAccess (§2.2.13). */
export const FILE_SHARE_READ = 0x1;
export const FILE_SHARE_WRITE = 0x2;
export const FILE_SHARE_DELETE = 0x4;

/** Access mask bits (§2.2.13.1). */
export const FILE_READ_DATA = 0x00000001;
export const FILE_LIST_DIRECTORY = 0x00000001;
export const FILE_WRITE_DATA = 0x00000002;
export const FILE_ADD_FILE = 0x00000002;
export const FILE_APPEND_DATA = 0x00000004;
export const FILE_ADD_SUBDIRECTORY = 0x00000004;
export const FILE_READ_EA = 0x00000008;
export const FILE_WRITE_EA = 0x00000010;
export const FILE_EXECUTE = 0x00000020;
export const FILE_TRAVERSE = 0x00000020;
export const FILE_DELETE_CHILD = 0x00000040;
export const FILE_READ_ATTRIBUTES = 0x00000080;
export const FILE_WRITE_ATTRIBUTES = 0x00000100;
export const DELETE = 0x00010000;
export const READ_CONTROL = 0x00020000;
export const WRITE_DAC = 0x00040000;
export const WRITE_OWNER = 0x00080000;
export const SYNCHRONIZE = 0x00100000;
export const ACCESS_SYSTEM_SECURITY = 0x01000000;
export const MAXIMUM_ALLOWED = 0x02000000;
export const GENERIC_ALL = 0x10000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_READ = 0x80000000;

/** File attributes (MS-FSCC §2.6). */
export const FILE_ATTRIBUTE_READONLY = 0x00000001;
export const FILE_ATTRIBUTE_HIDDEN = 0x00000002;
export const FILE_ATTRIBUTE_SYSTEM = 0x00000004;
export const FILE_ATTRIBUTE_DIRECTORY = 0x00000010;
export const FILE_ATTRIBUTE_ARCHIVE = 0x00000020;
export const FILE_ATTRIBUTE_NORMAL = 0x00000080;
export const FILE_ATTRIBUTE_TEMPORARY = 0x00000100;
export const FILE_ATTRIBUTE_REPARSE_POINT = 0x00000400;
export const FILE_ATTRIBUTE_OFFLINE = 0x00001000;
export const FILE_ATTRIBUTE_NOT_CONTENT_INDEXED = 0x00002000;
/** Every attribute a client may name in CREATE: all defined bits but VOLUME, DEVICE and INTEGRITY_STREAM. */
export const FILE_ATTRIBUTE_VALID_FLAGS = 0x00007fb7;

/** CLOSE flags (§2.2.15). */
export const SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB = 0x0001;

/** WRITE flags (§2.2.21). */
export const SMB2_WRITEFLAG_WRITE_THROUGH = 0x00000001;

/** QUERY_DIRECTORY flags (§2.2.33). */
export const SMB2_RESTART_SCANS = 0x01;
export const SMB2_RETURN_SINGLE_ENTRY = 0x02;
export const SMB2_INDEX_SPECIFIED = 0x04;
export const SMB2_REOPEN = 0x10;

/** QUERY_INFO / SET_INFO InfoType (§2.2.37). */
export const SMB2_0_INFO_FILE = 0x01;
export const SMB2_0_INFO_FILESYSTEM = 0x02;
export const SMB2_0_INFO_SECURITY = 0x03;
export const SMB2_0_INFO_QUOTA = 0x04;

/** File information classes (MS-FSCC §2.4). */
export const FileDirectoryInformation = 1;
export const FileFullDirectoryInformation = 2;
export const FileBothDirectoryInformation = 3;
export const FileBasicInformation = 4;
export const FileStandardInformation = 5;
export const FileInternalInformation = 6;
export const FileEaInformation = 7;
export const FileAccessInformation = 8;
export const FileNameInformation = 9;
export const FileRenameInformation = 10;
export const FileLinkInformation = 11;
export const FileNamesInformation = 12;
export const FileDispositionInformation = 13;
export const FilePositionInformation = 14;
export const FileFullEaInformation = 15;
export const FileModeInformation = 16;
export const FileAlignmentInformation = 17;
export const FileAllInformation = 18;
export const FileAllocationInformation = 19;
export const FileEndOfFileInformation = 20;
export const FileAlternateNameInformation = 21;
export const FileStreamInformation = 22;
export const FilePipeInformation = 23;
export const FileCompressionInformation = 28;
export const FileNetworkOpenInformation = 34;
export const FileAttributeTagInformation = 35;
export const FileIdBothDirectoryInformation = 37;
export const FileIdFullDirectoryInformation = 38;
export const FileValidDataLengthInformation = 39;
export const FileNormalizedNameInformation = 48;
export const FileIdInformation = 59;
export const FileDispositionInformationEx = 64;
export const FileRenameInformationEx = 65;

/** File system information classes (MS-FSCC §2.5). */
export const FileFsVolumeInformation = 1;
export const FileFsSizeInformation = 3;
export const FileFsDeviceInformation = 4;
export const FileFsAttributeInformation = 5;
export const FileFsControlInformation = 6;
export const FileFsFullSizeInformation = 7;
export const FileFsObjectIdInformation = 8;
export const FileFsSectorSizeInformation = 11;

/** IOCTL (§2.2.31, MS-FSCC §2.3). */
export const SMB2_0_IOCTL_IS_FSCTL = 0x00000001;
export const FSCTL_DFS_GET_REFERRALS = 0x00060194;
export const FSCTL_PIPE_TRANSCEIVE = 0x0011c017;
export const FSCTL_VALIDATE_NEGOTIATE_INFO = 0x00140204;
export const FSCTL_QUERY_NETWORK_INTERFACE_INFO = 0x001401fc;
export const FSCTL_SRV_REQUEST_RESUME_KEY = 0x00140078;
export const FSCTL_SRV_COPYCHUNK = 0x001440f2;
export const FSCTL_SRV_COPYCHUNK_WRITE = 0x001480f2;
export const FSCTL_CREATE_OR_GET_OBJECT_ID = 0x000900c0;
export const FSCTL_GET_REPARSE_POINT = 0x000900a8;
export const FSCTL_SET_SPARSE = 0x000900c4;
export const FSCTL_GET_COMPRESSION = 0x0009003c;
export const FSCTL_SET_COMPRESSION = 0x0009c040;
/** FSCTL_GET/SET_COMPRESSION: CompressionState (MS-FSCC §2.3.12, §2.3.67). */
export const COMPRESSION_FORMAT_NONE = 0;

/** LOCK flags (§2.2.26.1). */
export const SMB2_LOCKFLAG_SHARED_LOCK = 0x01;
export const SMB2_LOCKFLAG_EXCLUSIVE_LOCK = 0x02;
export const SMB2_LOCKFLAG_UNLOCK = 0x04;
export const SMB2_LOCKFLAG_FAIL_IMMEDIATELY = 0x10;

/** CHANGE_NOTIFY Flags (MS-SMB2 §2.2.35). */
export const SMB2_WATCH_TREE = 0x0001;

/** CompletionFilter bits (MS-SMB2 §2.2.35, MS-FSCC §2.7.1). */
export const FILE_NOTIFY_CHANGE_FILE_NAME = 0x00000001;
export const FILE_NOTIFY_CHANGE_DIR_NAME = 0x00000002;
export const FILE_NOTIFY_CHANGE_ATTRIBUTES = 0x00000004;
export const FILE_NOTIFY_CHANGE_SIZE = 0x00000008;
export const FILE_NOTIFY_CHANGE_LAST_WRITE = 0x00000010;
export const FILE_NOTIFY_CHANGE_LAST_ACCESS = 0x00000020;
export const FILE_NOTIFY_CHANGE_CREATION = 0x00000040;
export const FILE_NOTIFY_CHANGE_EA = 0x00000080;
export const FILE_NOTIFY_CHANGE_SECURITY = 0x00000100;

/** FILE_NOTIFY_INFORMATION Action values (MS-FSCC §2.7.1). */
export const FILE_ACTION_ADDED = 0x00000001;
export const FILE_ACTION_REMOVED = 0x00000002;
export const FILE_ACTION_MODIFIED = 0x00000003;
export const FILE_ACTION_RENAMED_OLD_NAME = 0x00000004;
export const FILE_ACTION_RENAMED_NEW_NAME = 0x00000005;

/** NTSTATUS values (MS-ERREF §2.3.1) the server answers with. */
export const STATUS_SUCCESS = 0x00000000;
export const STATUS_PENDING = 0x00000103;
export const STATUS_NOTIFY_CLEANUP = 0x0000010b;
export const STATUS_NOTIFY_ENUM_DIR = 0x0000010c;
export const STATUS_BUFFER_OVERFLOW = 0x80000005;
export const STATUS_NO_MORE_FILES = 0x80000006;
export const STATUS_NOT_IMPLEMENTED = 0xc0000002;
export const STATUS_INVALID_INFO_CLASS = 0xc0000003;
export const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
export const STATUS_INVALID_HANDLE = 0xc0000008;
export const STATUS_INVALID_PARAMETER = 0xc000000d;
export const STATUS_NO_SUCH_FILE = 0xc000000f;
export const STATUS_INVALID_DEVICE_REQUEST = 0xc0000010;
export const STATUS_END_OF_FILE = 0xc0000011;
export const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;
export const STATUS_INVALID_VIEW_SIZE = 0xc000001f;
export const STATUS_ACCESS_DENIED = 0xc0000022;
export const STATUS_BUFFER_TOO_SMALL = 0xc0000023;
export const STATUS_OBJECT_NAME_INVALID = 0xc0000033;
export const STATUS_OBJECT_NAME_NOT_FOUND = 0xc0000034;
export const STATUS_UNSUCCESSFUL = 0xc0000001;
export const STATUS_INVALID_OPLOCK_PROTOCOL = 0xc00000e3;
export const STATUS_INVALID_DEVICE_STATE = 0xc0000184;
export const STATUS_OBJECT_NAME_COLLISION = 0xc0000035;
export const STATUS_OBJECT_PATH_NOT_FOUND = 0xc000003a;
export const STATUS_OBJECT_PATH_SYNTAX_BAD = 0xc000003b;
export const STATUS_SHARING_VIOLATION = 0xc0000043;
export const STATUS_FILE_LOCK_CONFLICT = 0xc0000054;
export const STATUS_LOCK_NOT_GRANTED = 0xc0000055;
export const STATUS_DELETE_PENDING = 0xc0000056;
export const STATUS_LOGON_FAILURE = 0xc000006d;
export const STATUS_RANGE_NOT_LOCKED = 0xc000007e;
export const STATUS_DISK_FULL = 0xc000007f;
export const STATUS_INSUFFICIENT_RESOURCES = 0xc000009a;
export const STATUS_MEDIA_WRITE_PROTECTED = 0xc00000a2;
export const STATUS_BAD_IMPERSONATION_LEVEL = 0xc00000a5;
export const STATUS_FILE_IS_A_DIRECTORY = 0xc00000ba;
export const STATUS_NOT_SUPPORTED = 0xc00000bb;
export const STATUS_NETWORK_NAME_DELETED = 0xc00000c9;
export const STATUS_ACCESS_DENIED_NETWORK = 0xc00000ca;
export const STATUS_BAD_NETWORK_NAME = 0xc00000cc;
export const STATUS_REQUEST_NOT_ACCEPTED = 0xc00000d0;
export const STATUS_NOT_SAME_DEVICE = 0xc00000d4;
export const STATUS_INTERNAL_ERROR = 0xc00000e5;
export const STATUS_DIRECTORY_NOT_EMPTY = 0xc0000101;
export const STATUS_NOT_A_DIRECTORY = 0xc0000103;
export const STATUS_NAME_TOO_LONG = 0xc0000106;
export const STATUS_TOO_MANY_OPENED_FILES = 0xc000011f;
export const STATUS_CANCELLED = 0xc0000120;
export const STATUS_CANNOT_DELETE = 0xc0000121;
export const STATUS_FILE_CLOSED = 0xc0000128;
export const STATUS_PIPE_BROKEN = 0xc000014b;
export const STATUS_INVALID_LOCK_RANGE = 0xc00001a1;
export const STATUS_USER_SESSION_DELETED = 0xc0000203;
export const STATUS_NOT_FOUND = 0xc0000225;
export const STATUS_FILE_TOO_LARGE = 0xc0000904;
export const STATUS_FS_DRIVER_REQUIRED = 0xc000019c;
export const STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP = 0xc05d0000;
