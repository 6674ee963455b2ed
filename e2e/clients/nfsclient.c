/*
 * nfsclient — a small NFSv3 client over libnfs for the DittoFS end-to-end tests and benchmark.
 *
 *   nfsclient URL COMMAND ARGS...
 *
 * URL names the export, e.g. nfs://127.0.0.1/export?version=3&nfsport=12049&mountport=12049
 * (libnfs URL options such as uid=, gid= apply). Paths are relative to the export root.
 *
 * Commands (each documented above its function):
 *   data:      write-pattern, read-sha256, check-pattern, write, create-excl, cat, pwrite, pread
 *   metadata:  stat, lstat, readdir, rename, link, symlink, readlink, truncate, mkdir, rmdir,
 *              unlink, chmod, create-many
 *   raw calls: fh (print a handle), fh-getattr, fh-read, fh-write (GETATTR/READ/WRITE by handle)
 *   benchmark: bench-meta, put-many
 *
 * Output contract (parsed by e2e/helpers/nfsclient.mjs):
 *   - results go to stdout: one JSON line, plain lines (readdir, readlink) or raw bytes (cat, pread);
 *   - on failure, stderr gets "ERR <ERRNAME> <errno> <operation> <path>: <libnfs message>" and
 *     the exit status is the errno (so a test can assert EROFS, EACCES, ...).
 *
 * Build: gcc -O2 -Wall -o nfsclient nfsclient.c -lnfs
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs.h>

/* libnfs keeps this layout private (include/libnfs-private.h); nfs_get_fh() returns it. */
struct nfs_fh {
	int len;
	char *val;
};

#define CHUNK (1024 * 1024)
#define DEFAULT_TIMEOUT_MS 60000

static struct nfs_context *nfs;

/* ---------------------------------------------------------------- errors */

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "EUNKNOWN";
}

/* Prints the failure and exits with the errno (1..255) as status. */
static void die(int neg_errno, const char *op, const char *path)
{
	int e = neg_errno < 0 ? -neg_errno : neg_errno;
	if (e <= 0 || e > 255)
		e = EIO;
	const char *detail = nfs ? nfs_get_error(nfs) : NULL;
	fprintf(stderr, "ERR %s %d %s %s: %s\n", errname(e), e, op, path ? path : "-",
		detail ? detail : strerror(e));
	exit(e);
}

static void usage_fail(const char *msg)
{
	fprintf(stderr, "ERR EINVAL %d usage: %s\n", EINVAL, msg);
	exit(EINVAL);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		usage_fail(what);
	return (uint64_t)v;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- SHA-256 (FIPS 180-4) */

struct sha256 {
	uint32_t h[8];
	uint64_t total;
	uint8_t block[64];
	size_t used;
};

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(s->h, iv, sizeof iv);
	s->total = 0;
	s->used = 0;
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
		uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	s->total += len;
	if (s->used) {
		size_t take = 64 - s->used < len ? 64 - s->used : len;
		memcpy(s->block + s->used, p, take);
		s->used += take;
		p += take;
		len -= take;
		if (s->used < 64)
			return;
		sha256_block(s, s->block);
		s->used = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		sha256_block(s, p);
	memcpy(s->block, p, len);
	s->used = len;
}

static void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->total * 8;
	uint8_t pad = 0x80, zero = 0, len[8];
	sha256_update(s, &pad, 1);
	while (s->used != 56)
		sha256_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, len, 8);
	for (int i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", s->h[i]);
}

/* ---------------------------------------------------------------- test pattern */

/*
 * Byte i of the pattern for SEED is byte (i % 4), little-endian, of fmix32(seed ^ (i / 4) * 0x9E3779B9)
 * (MurmurHash3's finalizer). Position-dependent, so any range can be regenerated; the JS
 * twin is patternBytes() in e2e/helpers/nfsclient.mjs.
 */
static uint32_t fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static void pattern_fill(uint8_t *buf, uint64_t offset, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t pos = offset + i;
		uint32_t word = fmix32(seed ^ (uint32_t)((pos / 4) * 0x9E3779B9u));
		buf[i] = (uint8_t)(word >> (8 * (pos % 4)));
	}
}

/* ---------------------------------------------------------------- helpers */

static void print_fh_hex(const struct nfs_fh *fh)
{
	for (int i = 0; i < fh->len; i++)
		printf("%02x", (unsigned char)fh->val[i]);
}

static const char *type_name(uint64_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "sock";
	default: return "unknown";
	}
}

static void print_stat_json(const struct nfs_stat_64 *st)
{
	printf("{\"ino\":%" PRIu64 ",\"type\":\"%s\",\"mode\":%" PRIu64 ",\"nlink\":%" PRIu64
	       ",\"uid\":%" PRIu64 ",\"gid\":%" PRIu64 ",\"size\":%" PRIu64 ",\"used\":%" PRIu64
	       ",\"atime\":%" PRIu64 ",\"mtime\":%" PRIu64 ",\"mtime_nsec\":%" PRIu64
	       ",\"ctime\":%" PRIu64 ",\"ctime_nsec\":%" PRIu64 "}\n",
	       st->nfs_ino, type_name(st->nfs_mode), st->nfs_mode & 07777, st->nfs_nlink, st->nfs_uid,
	       st->nfs_gid, st->nfs_size, st->nfs_used, st->nfs_atime, st->nfs_mtime, st->nfs_mtime_nsec,
	       st->nfs_ctime, st->nfs_ctime_nsec);
}

static uint64_t chunk_size(void)
{
	uint64_t w = nfs_get_writemax(nfs), r = nfs_get_readmax(nfs);
	uint64_t c = CHUNK;
	if (w && w < c)
		c = w;
	if (r && r < c)
		c = r;
	return c;
}

static void write_all(struct nfsfh *fh, uint64_t offset, const uint8_t *buf, uint64_t len,
		      const char *path)
{
	while (len) {
		int n = nfs_pwrite(nfs, fh, offset, len, buf);
		if (n < 0)
			die(n, "pwrite", path);
		if (n == 0)
			die(-EIO, "pwrite (short write)", path);
		offset += (uint64_t)n;
		buf += n;
		len -= (uint64_t)n;
	}
}

/* ---------------------------------------------------------------- raw NFSv3 calls by handle */

struct raw_call {
	int done;
	int rpc_status;
	int nfs_status;
	char error[256];
	/* GETATTR results */
	fattr3 attr;
	/* READ results */
	uint32_t count;
	int eof;
	struct sha256 *hash;
	/* FSINFO and PATHCONF results */
	uint32_t properties;
	uint32_t linkmax;
};

static int hex_to_fh(const char *hex, nfs_fh3 *fh)
{
	size_t n = strlen(hex);
	if (n == 0 || n % 2 || n / 2 > 64)
		return -1;
	fh->data.data_len = (u_int)(n / 2);
	fh->data.data_val = malloc(n / 2);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		fh->data.data_val[i] = (char)v;
	}
	return 0;
}

/* Marks a raw call done; 1 when it got a reply, else 0 with the RPC failure recorded. */
static int raw_completed(struct raw_call *c, int status, void *data)
{
	c->done = 1;
	if (status == RPC_STATUS_SUCCESS)
		return 1;
	c->rpc_status = status;
	snprintf(c->error, sizeof c->error, "%s",
		 status == RPC_STATUS_ERROR && data ? (const char *)data : "rpc cancelled or timed out");
	return 0;
}

static void getattr_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct raw_call *c = priv;
	(void)rpc;
	if (!raw_completed(c, status, data))
		return;
	GETATTR3res *res = data;
	c->nfs_status = res->status;
	if (res->status == NFS3_OK)
		c->attr = res->GETATTR3res_u.resok.obj_attributes;
}

static void fsinfo_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct raw_call *c = priv;
	(void)rpc;
	if (!raw_completed(c, status, data))
		return;
	FSINFO3res *res = data;
	c->nfs_status = res->status;
	if (res->status == NFS3_OK)
		c->properties = res->FSINFO3res_u.resok.properties;
}

static void pathconf_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct raw_call *c = priv;
	(void)rpc;
	if (!raw_completed(c, status, data))
		return;
	PATHCONF3res *res = data;
	c->nfs_status = res->status;
	if (res->status == NFS3_OK)
		c->linkmax = res->PATHCONF3res_u.resok.linkmax;
}

static void read_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct raw_call *c = priv;
	(void)rpc;
	if (!raw_completed(c, status, data))
		return;
	READ3res *res = data;
	c->nfs_status = res->status;
	if (res->status == NFS3_OK) {
		c->count = res->READ3res_u.resok.count;
		c->eof = res->READ3res_u.resok.eof;
		sha256_update(c->hash, res->READ3res_u.resok.data.data_val,
			      res->READ3res_u.resok.data.data_len);
	}
}

static void write_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct raw_call *c = priv;
	(void)rpc;
	if (!raw_completed(c, status, data))
		return;
	WRITE3res *res = data;
	c->nfs_status = res->status;
	if (res->status == NFS3_OK)
		c->count = res->WRITE3res_u.resok.count;
}

/* Runs the mounted context's event loop until the queued raw call has completed. */
static void raw_wait(struct raw_call *c, const char *op)
{
	struct rpc_context *rpc = nfs_get_rpc_context(nfs);
	while (!c->done) {
		struct pollfd pfd = { .fd = rpc_get_fd(rpc), .events = (short)rpc_which_events(rpc) };
		if (poll(&pfd, 1, 100) < 0)
			die(-errno, op, "poll");
		if (rpc_service(rpc, pfd.revents) < 0)
			die(-EIO, op, rpc_get_error(rpc));
	}
	if (c->rpc_status != RPC_STATUS_SUCCESS) {
		fprintf(stderr, "ERR EIO %d %s: %s\n", EIO, op, c->error);
		exit(EIO);
	}
}

/* ---------------------------------------------------------------- commands */

/* write-pattern PATH SIZE SEED [unstable|commit|sync]: create/truncate and fill with the pattern. */
static int cmd_write_pattern(int argc, char **argv)
{
	if (argc < 3)
		usage_fail("write-pattern PATH SIZE SEED [unstable|commit|sync]");
	const char *path = argv[0];
	uint64_t size = parse_u64(argv[1], "SIZE");
	uint32_t seed = (uint32_t)parse_u64(argv[2], "SEED");
	const char *mode = argc > 3 ? argv[3] : "commit";
	int sync = strcmp(mode, "sync") == 0;
	if (!sync && strcmp(mode, "commit") && strcmp(mode, "unstable"))
		usage_fail("mode must be unstable, commit or sync");

	struct nfsfh *fh;
	int rc = nfs_create(nfs, path, O_RDWR | O_TRUNC | (sync ? O_SYNC : 0), 0644, &fh);
	if (rc < 0)
		die(rc, "create", path);
	uint64_t chunk = chunk_size();
	uint8_t *buf = malloc(chunk);
	struct sha256 h;
	sha256_init(&h);
	for (uint64_t off = 0; off < size; off += chunk) {
		uint64_t n = size - off < chunk ? size - off : chunk;
		pattern_fill(buf, off, n, seed);
		sha256_update(&h, buf, n);
		write_all(fh, off, buf, n, path);
	}
	if (strcmp(mode, "commit") == 0 && (rc = nfs_fsync(nfs, fh)) < 0)
		die(rc, "fsync", path);
	struct nfs_stat_64 st;
	if ((rc = nfs_fstat64(nfs, fh, &st)) < 0)
		die(rc, "fstat", path);
	char hex[65];
	sha256_hex(&h, hex);
	printf("{\"size\":%" PRIu64 ",\"sha256\":\"%s\",\"ino\":%" PRIu64 ",\"fh\":\"", size, hex,
	       st.nfs_ino);
	print_fh_hex(nfs_get_fh(fh));
	printf("\"}\n");
	if (strcmp(mode, "unstable") == 0) {
		/* Leave without nfs_close(): libnfs would COMMIT dirty handles on close. */
		fflush(stdout);
		_exit(0);
	}
	if ((rc = nfs_close(nfs, fh)) < 0)
		die(rc, "close", path);
	free(buf);
	return 0;
}

/* read-sha256 PATH: prints {"size","sha256"} of the whole file. */
static int cmd_read_sha256(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("read-sha256 PATH");
	struct nfsfh *fh;
	int rc = nfs_open(nfs, argv[0], O_RDONLY, &fh);
	if (rc < 0)
		die(rc, "open", argv[0]);
	uint64_t chunk = chunk_size(), off = 0;
	uint8_t *buf = malloc(chunk);
	struct sha256 h;
	sha256_init(&h);
	for (;;) {
		int n = nfs_pread(nfs, fh, off, chunk, buf);
		if (n < 0)
			die(n, "pread", argv[0]);
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	char hex[65];
	sha256_hex(&h, hex);
	printf("{\"size\":%" PRIu64 ",\"sha256\":\"%s\"}\n", off, hex);
	nfs_close(nfs, fh);
	free(buf);
	return 0;
}

/*
 * check-pattern PATH SEED: classifies every byte of PATH as the pattern's byte at that offset, a
 * zero (a hole, or data never written), or anything else; prints the counts and the first
 * offset of "other" (-1 if none).
 */
static int cmd_check_pattern(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("check-pattern PATH SEED");
	uint32_t seed = (uint32_t)parse_u64(argv[1], "SEED");
	struct nfsfh *fh;
	int rc = nfs_open(nfs, argv[0], O_RDONLY, &fh);
	if (rc < 0)
		die(rc, "open", argv[0]);
	uint64_t chunk = chunk_size(), off = 0, matching = 0, zeros = 0, other = 0;
	int64_t first_other = -1;
	uint8_t *buf = malloc(chunk), *expected = malloc(chunk);
	for (;;) {
		int n = nfs_pread(nfs, fh, off, chunk, buf);
		if (n < 0)
			die(n, "pread", argv[0]);
		if (n == 0)
			break;
		pattern_fill(expected, off, (size_t)n, seed);
		for (int i = 0; i < n; i++) {
			if (buf[i] == expected[i]) {
				matching++;
			} else if (buf[i] == 0) {
				zeros++;
			} else {
				if (first_other < 0)
					first_other = (int64_t)(off + (uint64_t)i);
				other++;
			}
		}
		off += (uint64_t)n;
	}
	printf("{\"size\":%" PRIu64 ",\"matching\":%" PRIu64 ",\"zeros\":%" PRIu64 ",\"other\":%" PRIu64
	       ",\"first_other\":%" PRId64 "}\n",
	       off, matching, zeros, other, first_other);
	nfs_close(nfs, fh);
	free(buf);
	free(expected);
	return 0;
}

/* write PATH TEXT: create/truncate and write TEXT (FILE_SYNC). */
static int cmd_write(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("write PATH TEXT");
	struct nfsfh *fh;
	int rc = nfs_create(nfs, argv[0], O_WRONLY | O_TRUNC | O_SYNC, 0644, &fh);
	if (rc < 0)
		die(rc, "create", argv[0]);
	write_all(fh, 0, (const uint8_t *)argv[1], strlen(argv[1]), argv[0]);
	if ((rc = nfs_close(nfs, fh)) < 0)
		die(rc, "close", argv[0]);
	return 0;
}

/* create-excl PATH: exclusive create (O_EXCL); fails with EEXIST if PATH exists. */
static int cmd_create_excl(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("create-excl PATH");
	struct nfsfh *fh;
	int rc = nfs_create(nfs, argv[0], O_WRONLY | O_EXCL, 0644, &fh);
	if (rc < 0)
		die(rc, "create-excl", argv[0]);
	if ((rc = nfs_close(nfs, fh)) < 0)
		die(rc, "close", argv[0]);
	return 0;
}

/* cat PATH: the file's bytes to stdout. */
static int cmd_cat(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("cat PATH");
	struct nfsfh *fh;
	int rc = nfs_open(nfs, argv[0], O_RDONLY, &fh);
	if (rc < 0)
		die(rc, "open", argv[0]);
	uint64_t chunk = chunk_size(), off = 0;
	uint8_t *buf = malloc(chunk);
	for (;;) {
		int n = nfs_pread(nfs, fh, off, chunk, buf);
		if (n < 0)
			die(n, "pread", argv[0]);
		if (n == 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		off += (uint64_t)n;
	}
	nfs_close(nfs, fh);
	free(buf);
	return 0;
}

/* pwrite PATH OFFSET TEXT: write TEXT at OFFSET of an existing file (FILE_SYNC). */
static int cmd_pwrite(int argc, char **argv)
{
	if (argc < 3)
		usage_fail("pwrite PATH OFFSET TEXT");
	struct nfsfh *fh;
	int rc = nfs_open(nfs, argv[0], O_WRONLY | O_SYNC, &fh);
	if (rc < 0)
		die(rc, "open", argv[0]);
	write_all(fh, parse_u64(argv[1], "OFFSET"), (const uint8_t *)argv[2], strlen(argv[2]), argv[0]);
	if ((rc = nfs_close(nfs, fh)) < 0)
		die(rc, "close", argv[0]);
	return 0;
}

/* pread PATH OFFSET LEN: up to LEN bytes from OFFSET to stdout (fewer at end of file). */
static int cmd_pread(int argc, char **argv)
{
	if (argc < 3)
		usage_fail("pread PATH OFFSET LEN");
	struct nfsfh *fh;
	int rc = nfs_open(nfs, argv[0], O_RDONLY, &fh);
	if (rc < 0)
		die(rc, "open", argv[0]);
	uint64_t off = parse_u64(argv[1], "OFFSET"), left = parse_u64(argv[2], "LEN");
	uint64_t chunk = chunk_size();
	uint8_t *buf = malloc(chunk);
	while (left) {
		int n = nfs_pread(nfs, fh, off, left < chunk ? left : chunk, buf);
		if (n < 0)
			die(n, "pread", argv[0]);
		if (n == 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		off += (uint64_t)n;
		left -= (uint64_t)n;
	}
	nfs_close(nfs, fh);
	free(buf);
	return 0;
}

static int do_stat(int argc, char **argv, int follow)
{
	if (argc < 1)
		usage_fail("stat PATH");
	struct nfs_stat_64 st;
	int rc = follow ? nfs_stat64(nfs, argv[0], &st) : nfs_lstat64(nfs, argv[0], &st);
	if (rc < 0)
		die(rc, follow ? "stat" : "lstat", argv[0]);
	print_stat_json(&st);
	return 0;
}

static int cmd_stat(int argc, char **argv) { return do_stat(argc, argv, 1); }
static int cmd_lstat(int argc, char **argv) { return do_stat(argc, argv, 0); }

/* readdir PATH: every name the server returns, one per line (including "." and ".."). */
static int cmd_readdir(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("readdir PATH");
	struct nfsdir *dir;
	int rc = nfs_opendir(nfs, argv[0], &dir);
	if (rc < 0)
		die(rc, "opendir", argv[0]);
	struct nfsdirent *e;
	while ((e = nfs_readdir(nfs, dir)) != NULL)
		printf("%s\n", e->name);
	nfs_closedir(nfs, dir);
	return 0;
}

/* readdir-stat PATH: one JSON line per entry (not "." or ".."), with the attributes READDIRPLUS returned. */
static int cmd_readdir_stat(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("readdir-stat PATH");
	struct nfsdir *dir;
	int rc = nfs_opendir(nfs, argv[0], &dir);
	if (rc < 0)
		die(rc, "opendir", argv[0]);
	struct nfsdirent *e;
	while ((e = nfs_readdir(nfs, dir)) != NULL) {
		if (strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0)
			continue;
		printf("{\"name\":\"");
		for (const char *c = e->name; *c; c++)
			printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
		printf("\",\"mode\":%u,\"uid\":%u,\"gid\":%u,\"size\":%" PRIu64 ",\"mtime\":%ld,\"mtime_nsec\":%u}\n",
		       e->mode & 07777, e->uid, e->gid, e->size, (long)e->mtime.tv_sec, e->mtime_nsec);
	}
	nfs_closedir(nfs, dir);
	return 0;
}

static int cmd_rename(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("rename FROM TO");
	int rc = nfs_rename(nfs, argv[0], argv[1]);
	if (rc < 0)
		die(rc, "rename", argv[0]);
	return 0;
}

static int cmd_link(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("link EXISTING NEW");
	int rc = nfs_link(nfs, argv[0], argv[1]);
	if (rc < 0)
		die(rc, "link", argv[0]);
	return 0;
}

static int cmd_symlink(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("symlink TARGET PATH");
	int rc = nfs_symlink(nfs, argv[0], argv[1]);
	if (rc < 0)
		die(rc, "symlink", argv[1]);
	return 0;
}

static int cmd_readlink(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("readlink PATH");
	char *target = NULL;
	int rc = nfs_readlink2(nfs, argv[0], &target);
	if (rc < 0)
		die(rc, "readlink", argv[0]);
	printf("%s\n", target);
	free(target);
	return 0;
}

static int cmd_truncate(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("truncate PATH SIZE");
	int rc = nfs_truncate(nfs, argv[0], parse_u64(argv[1], "SIZE"));
	if (rc < 0)
		die(rc, "truncate", argv[0]);
	return 0;
}

static int cmd_mkdir(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("mkdir PATH");
	int rc = nfs_mkdir(nfs, argv[0]);
	if (rc < 0)
		die(rc, "mkdir", argv[0]);
	return 0;
}

static int cmd_rmdir(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("rmdir PATH");
	int rc = nfs_rmdir(nfs, argv[0]);
	if (rc < 0)
		die(rc, "rmdir", argv[0]);
	return 0;
}

/*
 * race-pwrite PATH COUNT TEXT: writes TEXT at offset 0, COUNT times, through one file opened
 * O_SYNC (FILE_SYNC WRITEs: the server's disk I/O leaves room for other calls in between).
 */
static int cmd_race_pwrite(int argc, char **argv)
{
	if (argc < 3)
		usage_fail("race-pwrite PATH COUNT TEXT");
	struct nfsfh *fh;
	int rc = nfs_open(nfs, argv[0], O_WRONLY | O_SYNC, &fh);
	if (rc < 0)
		die(rc, "open", argv[0]);
	uint64_t count = parse_u64(argv[1], "COUNT");
	for (uint64_t i = 0; i < count; i++)
		write_all(fh, 0, (const uint8_t *)argv[2], strlen(argv[2]), argv[0]);
	if ((rc = nfs_close(nfs, fh)) < 0)
		die(rc, "close", argv[0]);
	return 0;
}

/* race-truncate PATH COUNT: truncates PATH to 0 bytes, COUNT times. */
static int cmd_race_truncate(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("race-truncate PATH COUNT");
	uint64_t count = parse_u64(argv[1], "COUNT");
	for (uint64_t i = 0; i < count; i++) {
		int rc = nfs_truncate(nfs, argv[0], 0);
		if (rc < 0)
			die(rc, "truncate", argv[0]);
	}
	return 0;
}

/*
 * race-recreate PATH COUNT TEXT: COUNT times creates PATH (or opens it), writes TEXT, closes;
 * prints {"done":N,"failed":N}: a removal racing it may fail some rounds, which is expected.
 */
static int cmd_race_recreate(int argc, char **argv)
{
	if (argc < 3)
		usage_fail("race-recreate PATH COUNT TEXT");
	uint64_t count = parse_u64(argv[1], "COUNT"), failed = 0;
	for (uint64_t i = 0; i < count; i++) {
		struct nfsfh *fh;
		if (nfs_open2(nfs, argv[0], O_WRONLY | O_CREAT, 0644, &fh) < 0) {
			failed++;
			continue;
		}
		if (nfs_pwrite(nfs, fh, 0, strlen(argv[2]), argv[2]) < 0)
			failed++;
		nfs_close(nfs, fh);
	}
	printf("{\"done\":%" PRIu64 ",\"failed\":%" PRIu64 "}\n", count, failed);
	return 0;
}

/* race-unlink PATH COUNT: COUNT times removes PATH; a name that is not there is no error. */
static int cmd_race_unlink(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("race-unlink PATH COUNT");
	uint64_t count = parse_u64(argv[1], "COUNT");
	for (uint64_t i = 0; i < count; i++) {
		int rc = nfs_unlink(nfs, argv[0]);
		if (rc < 0 && rc != -ENOENT)
			die(rc, "unlink", argv[0]);
	}
	return 0;
}

/*
 * race-check PATH COUNT BYTE: reads PATH whole, COUNT times, and prints
 * {"reads":N,"bad":N}: the reads that returned any byte other than BYTE (a size that
 * covers bytes the content does not hold shows as zeros).
 */
static int cmd_race_check(int argc, char **argv)
{
	if (argc < 3)
		usage_fail("race-check PATH COUNT BYTE");
	struct nfsfh *fh;
	int rc = nfs_open(nfs, argv[0], O_RDONLY, &fh);
	if (rc < 0)
		die(rc, "open", argv[0]);
	uint64_t count = parse_u64(argv[1], "COUNT"), bad = 0;
	uint8_t expected = (uint8_t)argv[2][0];
	uint64_t chunk = chunk_size();
	uint8_t *buf = malloc(chunk);
	for (uint64_t i = 0; i < count; i++) {
		int n = nfs_pread(nfs, fh, 0, chunk, buf);
		if (n < 0)
			die(n, "pread", argv[0]);
		for (int j = 0; j < n; j++) {
			if (buf[j] != expected) {
				bad++;
				break;
			}
		}
	}
	free(buf);
	nfs_close(nfs, fh);
	printf("{\"reads\":%" PRIu64 ",\"bad\":%" PRIu64 "}\n", count, bad);
	return 0;
}

static int cmd_unlink(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("unlink PATH");
	int rc = nfs_unlink(nfs, argv[0]);
	if (rc < 0)
		die(rc, "unlink", argv[0]);
	return 0;
}

static int cmd_chmod(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("chmod PATH OCTAL_MODE");
	char *end;
	long mode = strtol(argv[1], &end, 8);
	if (*end || mode < 0 || mode > 07777)
		usage_fail("mode must be octal");
	int rc = nfs_chmod(nfs, argv[0], (int)mode);
	if (rc < 0)
		die(rc, "chmod", argv[0]);
	return 0;
}

static void entry_name(char *out, size_t size, const char *dir, uint64_t i)
{
	snprintf(out, size, "%s/f%06" PRIu64, dir, i);
}

/* create-many DIR N: creates DIR/f000000 .. DIR/f(N-1), empty. DIR must exist. */
static int cmd_create_many(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("create-many DIR N");
	uint64_t n = parse_u64(argv[1], "N");
	char path[4096];
	for (uint64_t i = 0; i < n; i++) {
		struct nfsfh *fh;
		entry_name(path, sizeof path, argv[0], i);
		int rc = nfs_creat(nfs, path, 0644, &fh);
		if (rc < 0)
			die(rc, "creat", path);
		nfs_close(nfs, fh);
	}
	printf("{\"created\":%" PRIu64 "}\n", n);
	return 0;
}

/*
 * bench-meta DIR N: mkdir DIR, then times N creates, N stats, one full listing and N removes,
 * then N/5 small files each created, written (4 KiB) and fsync'ed (COMMIT: data and metadata
 * durable), and removes DIR. Prints one JSON line with seconds and rates.
 */
static int cmd_bench_meta(int argc, char **argv)
{
	if (argc < 2)
		usage_fail("bench-meta DIR N");
	const char *dir = argv[0];
	uint64_t n = parse_u64(argv[1], "N");
	char path[4096];
	int rc = nfs_mkdir(nfs, dir);
	if (rc < 0)
		die(rc, "mkdir", dir);

	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		struct nfsfh *fh;
		entry_name(path, sizeof path, dir, i);
		if ((rc = nfs_creat(nfs, path, 0644, &fh)) < 0)
			die(rc, "creat", path);
		nfs_close(nfs, fh);
	}
	double t1 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		struct nfs_stat_64 st;
		entry_name(path, sizeof path, dir, i);
		if ((rc = nfs_stat64(nfs, path, &st)) < 0)
			die(rc, "stat", path);
	}
	double t2 = now_s();
	struct nfsdir *d;
	if ((rc = nfs_opendir(nfs, dir, &d)) < 0)
		die(rc, "opendir", dir);
	uint64_t listed = 0;
	struct nfsdirent *e;
	while ((e = nfs_readdir(nfs, d)) != NULL)
		if (strcmp(e->name, ".") && strcmp(e->name, ".."))
			listed++;
	nfs_closedir(nfs, d);
	double t3 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		entry_name(path, sizeof path, dir, i);
		if ((rc = nfs_unlink(nfs, path)) < 0)
			die(rc, "unlink", path);
	}
	double t4 = now_s();
	uint64_t synced = n / 5;
	char block[4096];
	memset(block, 's', sizeof block);
	for (uint64_t i = 0; i < synced; i++) {
		struct nfsfh *fh;
		entry_name(path, sizeof path, dir, i);
		if ((rc = nfs_creat(nfs, path, 0644, &fh)) < 0)
			die(rc, "creat", path);
		write_all(fh, 0, (const uint8_t *)block, sizeof block, path);
		if ((rc = nfs_fsync(nfs, fh)) < 0)
			die(rc, "fsync", path);
		nfs_close(nfs, fh);
	}
	double t5 = now_s();
	for (uint64_t i = 0; i < synced; i++) {
		entry_name(path, sizeof path, dir, i);
		if ((rc = nfs_unlink(nfs, path)) < 0)
			die(rc, "unlink", path);
	}
	if ((rc = nfs_rmdir(nfs, dir)) < 0)
		die(rc, "rmdir", dir);
	if (listed != n) {
		fprintf(stderr, "ERR EIO %d bench-meta %s: listed %" PRIu64 " of %" PRIu64 " entries\n",
			EIO, dir, listed, n);
		return EIO;
	}
	printf("{\"n\":%" PRIu64 ",\"listed\":%" PRIu64 ",\"create_s\":%.6f,\"stat_s\":%.6f,"
	       "\"list_s\":%.6f,\"remove_s\":%.6f,\"creates_per_s\":%.1f,\"stats_per_s\":%.1f,"
	       "\"removes_per_s\":%.1f,\"synced_files_per_s\":%.1f}\n",
	       n, listed, t1 - t0, t2 - t1, t3 - t2, t4 - t3, n / (t1 - t0), n / (t2 - t1),
	       n / (t4 - t3), synced / (t5 - t4));
	return 0;
}

/*
 * put-many DIR N SIZE: mkdir DIR, then N files DIR/f000000.. of SIZE bytes (pattern, seed = the
 * file's number), each created, written, fsync'ed (COMMIT) and closed, one after another.
 * Prints {"files","size","seconds","first_create_at"}: seconds from the first CREATE to the last
 * close, and when the first CREATE was sent (Unix seconds, for timings that end elsewhere).
 */
static int cmd_put_many(int argc, char **argv)
{
	if (argc < 3)
		usage_fail("put-many DIR N SIZE");
	const char *dir = argv[0];
	uint64_t n = parse_u64(argv[1], "N");
	uint64_t size = parse_u64(argv[2], "SIZE");
	uint64_t chunk = chunk_size();
	uint64_t buffered = size < chunk ? size : chunk;
	uint8_t *buf = malloc(buffered ? buffered : 1);
	if (!buf)
		die(-ENOMEM, "malloc", NULL);
	char path[4096];
	int rc = nfs_mkdir(nfs, dir);
	if (rc < 0)
		die(rc, "mkdir", dir);

	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		struct nfsfh *fh;
		entry_name(path, sizeof path, dir, i);
		if ((rc = nfs_creat(nfs, path, 0644, &fh)) < 0)
			die(rc, "creat", path);
		for (uint64_t off = 0; off < size; off += chunk) {
			uint64_t len = size - off < chunk ? size - off : chunk;
			pattern_fill(buf, off, len, (uint32_t)i);
			write_all(fh, off, buf, len, path);
		}
		if ((rc = nfs_fsync(nfs, fh)) < 0)
			die(rc, "fsync", path);
		if ((rc = nfs_close(nfs, fh)) < 0)
			die(rc, "close", path);
	}
	double seconds = now_s() - t0;
	free(buf);
	printf("{\"files\":%" PRIu64 ",\"size\":%" PRIu64 ",\"seconds\":%.6f,\"first_create_at\":%.6f}\n",
	       n, size, seconds, (double)wall.tv_sec + (double)wall.tv_nsec / 1e9);
	return 0;
}

/* fh PATH: prints {"fh":"<hex>","ino":N} for PATH. */
static int cmd_fh(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("fh PATH");
	struct nfsfh *fh;
	int rc = nfs_open(nfs, argv[0], O_RDONLY, &fh);
	if (rc < 0)
		die(rc, "open", argv[0]);
	struct nfs_stat_64 st;
	if ((rc = nfs_fstat64(nfs, fh, &st)) < 0)
		die(rc, "fstat", argv[0]);
	printf("{\"fh\":\"");
	print_fh_hex(nfs_get_fh(fh));
	printf("\",\"ino\":%" PRIu64 "}\n", st.nfs_ino);
	nfs_close(nfs, fh);
	return 0;
}

/* fh-getattr HEX: GETATTR3 on a raw handle; prints {"status",...}. status is the nfsstat3. */
static int cmd_fh_getattr(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("fh-getattr HEX");
	GETATTR3args args;
	memset(&args, 0, sizeof args);
	if (hex_to_fh(argv[0], &args.object) < 0)
		usage_fail("HEX must be an even-length hex string of at most 64 bytes");
	struct raw_call c;
	memset(&c, 0, sizeof c);
	if (rpc_nfs3_getattr_async(nfs_get_rpc_context(nfs), getattr_cb, &args, &c) != 0)
		die(-EIO, "getattr", "queue");
	raw_wait(&c, "getattr");
	if (c.nfs_status != NFS3_OK) {
		printf("{\"status\":%d}\n", c.nfs_status);
		return 0;
	}
	printf("{\"status\":0,\"type\":%d,\"ino\":%" PRIu64 ",\"size\":%" PRIu64 ",\"nlink\":%u}\n",
	       c.attr.type, c.attr.fileid, c.attr.size, c.attr.nlink);
	return 0;
}

/* fsinfo PATH: FSINFO3 and PATHCONF3 on PATH's handle; prints {"properties":N,"linkmax":N}. */
static int cmd_fsinfo(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("fsinfo PATH");
	struct nfsfh *fh;
	int rc = nfs_open(nfs, argv[0], O_RDONLY, &fh);
	if (rc < 0)
		die(rc, "open", argv[0]);
	struct nfs_fh3 handle = { .data.data_len = nfs_get_fh(fh)->len, .data.data_val = nfs_get_fh(fh)->val };
	FSINFO3args fsinfo_args = { .fsroot = handle };
	struct raw_call info;
	memset(&info, 0, sizeof info);
	if (rpc_nfs3_fsinfo_async(nfs_get_rpc_context(nfs), fsinfo_cb, &fsinfo_args, &info) != 0)
		die(-EIO, "fsinfo", "queue");
	raw_wait(&info, "fsinfo");
	PATHCONF3args pathconf_args = { .object = handle };
	struct raw_call conf;
	memset(&conf, 0, sizeof conf);
	if (rpc_nfs3_pathconf_async(nfs_get_rpc_context(nfs), pathconf_cb, &pathconf_args, &conf) != 0)
		die(-EIO, "pathconf", "queue");
	raw_wait(&conf, "pathconf");
	if (info.nfs_status != NFS3_OK || conf.nfs_status != NFS3_OK)
		printf("{\"status\":%d}\n", info.nfs_status != NFS3_OK ? info.nfs_status : conf.nfs_status);
	else
		printf("{\"status\":0,\"properties\":%u,\"linkmax\":%u}\n", info.properties, conf.linkmax);
	nfs_close(nfs, fh);
	return 0;
}

/* fh-read HEX: READ3 the whole file by raw handle; prints {"status","size","sha256"}. */
static int cmd_fh_read(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("fh-read HEX");
	READ3args args;
	memset(&args, 0, sizeof args);
	if (hex_to_fh(argv[0], &args.file) < 0)
		usage_fail("HEX must be an even-length hex string of at most 64 bytes");
	struct sha256 h;
	sha256_init(&h);
	uint64_t off = 0;
	for (;;) {
		struct raw_call c;
		memset(&c, 0, sizeof c);
		c.hash = &h;
		args.offset = off;
		args.count = (count3)chunk_size();
		if (rpc_nfs3_read_async(nfs_get_rpc_context(nfs), read_cb, &args, &c) != 0)
			die(-EIO, "read", "queue");
		raw_wait(&c, "read");
		if (c.nfs_status != NFS3_OK) {
			printf("{\"status\":%d}\n", c.nfs_status);
			return 0;
		}
		off += c.count;
		if (c.eof || c.count == 0)
			break;
	}
	char hex[65];
	sha256_hex(&h, hex);
	printf("{\"status\":0,\"size\":%" PRIu64 ",\"sha256\":\"%s\"}\n", off, hex);
	return 0;
}

/* fh-write HEX OFFSET TEXT: one FILE_SYNC WRITE3 by raw handle; prints {"status","count"}. */
static int cmd_fh_write(int argc, char **argv)
{
	if (argc < 3)
		usage_fail("fh-write HEX OFFSET TEXT");
	WRITE3args args;
	memset(&args, 0, sizeof args);
	if (hex_to_fh(argv[0], &args.file) < 0)
		usage_fail("HEX must be an even-length hex string of at most 64 bytes");
	args.offset = parse_u64(argv[1], "OFFSET");
	args.count = (count3)strlen(argv[2]);
	args.stable = FILE_SYNC;
	args.data.data_len = args.count;
	args.data.data_val = argv[2];
	struct raw_call c;
	memset(&c, 0, sizeof c);
	if (rpc_nfs3_write_async(nfs_get_rpc_context(nfs), write_cb, &args, &c) != 0)
		die(-EIO, "write", "queue");
	raw_wait(&c, "write");
	if (c.nfs_status != NFS3_OK)
		printf("{\"status\":%d}\n", c.nfs_status);
	else
		printf("{\"status\":0,\"count\":%u}\n", c.count);
	return 0;
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command COMMANDS[] = {
	{ "write-pattern", cmd_write_pattern },
	{ "read-sha256", cmd_read_sha256 },
	{ "check-pattern", cmd_check_pattern },
	{ "write", cmd_write },
	{ "create-excl", cmd_create_excl },
	{ "cat", cmd_cat },
	{ "pwrite", cmd_pwrite },
	{ "pread", cmd_pread },
	{ "stat", cmd_stat },
	{ "lstat", cmd_lstat },
	{ "readdir", cmd_readdir },
	{ "readdir-stat", cmd_readdir_stat },
	{ "rename", cmd_rename },
	{ "link", cmd_link },
	{ "symlink", cmd_symlink },
	{ "readlink", cmd_readlink },
	{ "truncate", cmd_truncate },
	{ "race-pwrite", cmd_race_pwrite },
	{ "race-truncate", cmd_race_truncate },
	{ "race-check", cmd_race_check },
	{ "race-recreate", cmd_race_recreate },
	{ "race-unlink", cmd_race_unlink },
	{ "mkdir", cmd_mkdir },
	{ "rmdir", cmd_rmdir },
	{ "unlink", cmd_unlink },
	{ "chmod", cmd_chmod },
	{ "create-many", cmd_create_many },
	{ "bench-meta", cmd_bench_meta },
	{ "put-many", cmd_put_many },
	{ "fh", cmd_fh },
	{ "fh-getattr", cmd_fh_getattr },
	{ "fsinfo", cmd_fsinfo },
	{ "fh-read", cmd_fh_read },
	{ "fh-write", cmd_fh_write },
};

int main(int argc, char **argv)
{
	if (argc < 3)
		usage_fail("nfsclient URL COMMAND ARGS...");
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
		if (strcmp(COMMANDS[i].name, argv[2]) == 0)
			cmd = &COMMANDS[i];
	if (!cmd)
		usage_fail("unknown command");

	nfs = nfs_init_context();
	if (!nfs)
		die(-ENOMEM, "init", NULL);
	/* Fail fast instead of reconnecting forever; URL options may override. */
	nfs_set_autoreconnect(nfs, 0);
	nfs_set_timeout(nfs, getenv("NFSCLIENT_TIMEOUT_MS") ? atoi(getenv("NFSCLIENT_TIMEOUT_MS"))
							    : DEFAULT_TIMEOUT_MS);
	/* Every listing and lookup must reach the server. */
	nfs_set_dircache(nfs, 0);
	struct nfs_url *url = nfs_parse_url_dir(nfs, argv[1]);
	if (!url)
		die(-EINVAL, "parse-url", argv[1]);
	nfs_set_version(nfs, NFS_V3);
	int rc = nfs_mount(nfs, url->server, url->path);
	if (rc < 0)
		die(rc, "mount", url->path);
	rc = cmd->run(argc - 3, argv + 3);
	fflush(stdout);
	nfs_umount(nfs);
	nfs_destroy_url(url);
	nfs_destroy_context(nfs);
	return rc;
}
