/*
 * servers/handler_file.c — the seeds' file transfer: the client sends a file
 * name ending in '\n'; the server answers an 8-byte big-endian size, then
 * the bytes, then waits for the next name. A name that does not resolve to
 * a regular file beneath --root is answered with the size 2^64-1 and no
 * bytes. Names are resolved with openat2(RESOLVE_BENEATH), so "..", absolute
 * paths and symlinks cannot leave the root; where openat2 is missing or
 * filtered, by open_walk(), which refuses every ".." and symlink.
 *
 * Every open is non-blocking (O_NONBLOCK | O_NOCTTY) and anything but a
 * regular file is refused once open: opening a FIFO for reading would wait
 * for a writer forever, and a device could block too. A refused name gets
 * the not-found size like a missing one.
 *
 * Input is bounded by --max-msg (FILE_LINE_DEFAULT when not given): a
 * request line longer than that is a protocol error, and the connection
 * closes; and while a file streams, the names a client sends behind it
 * wait, at most --max-msg bytes of them: a client that sends more before
 * the file has gone is closed too, counted as oversize. So a connection
 * holds at most --max-msg bytes of input plus one file chunk, whatever
 * its client sends. A line too long to be a path (PATH_MAX) is not found.
 */
#include "servers/handler.h"
#include "servers/model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FILE_LINE_DEFAULT 4096   /* --max-msg not given */
#define FILE_CHUNK 65536
#define FILE_NOT_FOUND UINT64_MAX
/* Non-blocking, so that no open waits on a FIFO or a device. */
#define FILE_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)

struct file_state {
	struct net_deframer names;
	size_t limit;     /* --max-msg: longest line, most input held */
	int root;         /* directory descriptor of --root */
	int fd;           /* file being sent, or -1 */
	uint64_t left;    /* bytes of it still to send */
};

/*
 * Where openat2 is missing or filtered: walk the name one component at a
 * time from the root, each directory opened with O_NOFOLLOW | O_DIRECTORY
 * beneath the one before and the last component with O_NOFOLLOW. An
 * absolute name, a ".." and a symlink anywhere are refused (-ENOENT; the
 * kernel's ELOOP or ENOTDIR for a link), so nothing can lead out of the
 * root. Stricter than openat2's RESOLVE_BENEATH, which follows links and
 * ".." that stay inside: without it we could not tell. Empty and "."
 * components are skipped, as the kernel would.
 */
static int open_walk(int root, const char *name)
{
	char part[NAME_MAX + 1];
	int dir = root, rc = -ENOENT;
	const char *p = name;

	if (name[0] == '/')
		return -ENOENT;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n > NAME_MAX) {
			rc = -ENAMETOOLONG;
			break;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		if (strcmp(part, "..") == 0)
			break;
		if (!slash) {
			/* "dir/" or "." as the last component: a directory. */
			if (n == 0 || strcmp(part, ".") == 0)
				break;
			int fd = openat(dir, part, FILE_OPEN_FLAGS | O_NOFOLLOW);
			rc = fd < 0 ? -errno : fd;
			break;
		}
		p = slash + 1;
		if (n == 0 || strcmp(part, ".") == 0)
			continue;
		int next = openat(dir, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			rc = -errno;
			break;
		}
		if (dir != root)
			close(dir);
		dir = next;
	}
	if (dir != root)
		close(dir);
	return rc;
}

static int open_beneath(int root, const char *name, bool no_openat2)
{
	struct open_how how = {
		.flags = FILE_OPEN_FLAGS,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	if (!no_openat2) {
		long fd = syscall(SYS_openat2, root, name, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
	}
	return open_walk(root, name);
}

static void put_size(struct srv_conn *c, uint64_t v)
{
	uint8_t h[8];
	for (int i = 0; i < 8; i++)
		h[i] = (uint8_t)(v >> (56 - 8 * i));
	srv_conn_write(c, h, sizeof(h));
}

/* Read the file's next chunk into the output; 0 or -errno. */
static int read_chunk(struct srv_conn *c, struct file_state *st)
{
	size_t want = st->left < FILE_CHUNK ? (size_t)st->left : FILE_CHUNK;
	if (want == 0)
		return 0;
	uint8_t *dst = net_buf_reserve(&c->out, want);
	if (!dst)
		return -ENOMEM;
	ssize_t r = read(st->fd, dst, want);
	if (r < 0)
		return -errno;
	if (r == 0)            /* the file shrank under us */
		return -EIO;
	c->out.len += (size_t)r;
	st->left -= (uint64_t)r;
	return 0;
}

/*
 * Start the next requested file, if a whole name has arrived. Names that
 * are refused are answered at once and the next buffered name is tried, so
 * a client that pipelines several names in one write gets every answer.
 */
static int next_file(struct srv_conn *c, struct file_state *st)
{
	const uint8_t *msg;
	size_t len;
	char name[PATH_MAX];
	struct stat sb;

	for (;;) {
		int rc = net_deframer_next(&st->names, &msg, &len);
		if (rc <= 0)
			return rc == -EMSGSIZE ? -EPROTO : rc;
		/* Counted here rather than by handle()'s return, so that names
		 * sent while a file was streaming count too. */
		atomic_fetch_add_explicit(&srv_ctr(c->srv)->requests, 1, memory_order_relaxed);
		if (len && msg[len - 1] == '\r')   /* clients that send "\r\n" */
			len--;
		int fd = -ENOENT;
		if (len > 0 && len < sizeof(name) && !memchr(msg, '\0', len)) {
			memcpy(name, msg, len);
			name[len] = '\0';
			fd = open_beneath(st->root, name, c->cfg->file_no_openat2);
		}
		/* Only a regular file, and read it blocking: the driver
		 * expects a read to return data, never EAGAIN. */
		if (fd >= 0 && (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
				fcntl(fd, F_SETFL, 0) < 0)) {
			close(fd);
			fd = -ENOENT;
		}
		if (fd < 0) {
			srv_count_err(c->srv, -ENOENT);
			put_size(c, FILE_NOT_FOUND);
			continue;
		}
		st->fd = fd;
		st->left = (uint64_t)sb.st_size;
		put_size(c, st->left);
		c->want_more = true;
		/* The first chunk leaves in the same write as the size: a size
		 * written alone is a small segment Nagle makes the rest of a
		 * small file wait behind until the client's delayed ACK (40 ms). */
		return read_chunk(c, st);
	}
}

static int file_setup(struct srv_conn *c)
{
	struct file_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->limit = c->cfg->framing.max_msg ? c->cfg->framing.max_msg : FILE_LINE_DEFAULT;
	struct net_framing f = {.kind = NET_FRAMING_DELIM, .delim = '\n', .max_msg = st->limit};
	net_deframer_init(&st->names, &f);
	st->fd = -1;
	st->root = open(c->cfg->root[0] ? c->cfg->root : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->state = st;
	if (st->root < 0)
		return -errno;
	return 0;
}

static int file_handle(struct srv_conn *c, const uint8_t *in, size_t n)
{
	struct file_state *st = c->state;
	/* A file is streaming: what comes now waits behind it, bounded. The
	 * blocking drivers read between the file's chunks, so without the
	 * bound a client that reads and keeps sending grows us without end. */
	if (st->fd >= 0 && net_deframer_buffered(&st->names) + n > st->limit)
		return -EMSGSIZE;
	int rc = net_deframer_push(&st->names, in, n);
	if (rc < 0)
		return rc;
	if (st->fd >= 0)
		return 0;
	if ((rc = next_file(c, st)) < 0)
		return rc;
	/* One read may bring a name and more than the bound behind it. */
	if (st->fd >= 0 && net_deframer_buffered(&st->names) > st->limit)
		return -EMSGSIZE;
	return 0;
}

static int file_more(struct srv_conn *c)
{
	struct file_state *st = c->state;
	if (st->fd < 0) {
		c->want_more = false;
		return 0;
	}
	if (st->left > 0) {
		int rc = read_chunk(c, st);
		if (rc < 0 || st->left > 0)
			return rc;
	}
	close(st->fd);
	st->fd = -1;
	c->want_more = false;
	/* A name sent while this file streamed is served next. */
	int rc = next_file(c, st);
	return rc < 0 ? rc : 0;
}

static void file_finish(struct srv_conn *c)
{
	struct file_state *st = c->state;
	if (!st)
		return;
	if (st->fd >= 0)
		close(st->fd);
	if (st->root >= 0)
		close(st->root);
	net_deframer_free(&st->names);
	free(st);
	c->state = NULL;
}

const struct srv_handler_ops srv_handler_file = {
	.name = "file",
	.help = "NAME\\n -> 8-byte size + bytes, from --root (default .), --max-msg",
	.stream_only = true,
	.setup = file_setup,
	.handle = file_handle,
	.more = file_more,
	.finish = file_finish,
};
