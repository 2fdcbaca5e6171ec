/*
 * clients/ld_file.c — the load engine's file workload: what a request and
 * its reply are when the clients fetch files from servers/handler_file.c
 * ("NAME\n" -> 8-byte big-endian size, then the bytes). Before the run every
 * name is read once under file_root for its size and CRC-32C; during the
 * run a reply is checked against them as it arrives, with no more memory
 * than a few counters per client. ld_stream.c does the connection, the
 * writes and the timing; this file only knows the protocol.
 */
#include "clients/ld_int.h"

#include "util/crc32c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOT_FOUND UINT64_MAX
#define CHUNK 65536

/* Size and CRC of root/name, read in chunks. */
static int digest(int root, const char *name, struct ld_file *f, uint8_t *buf)
{
	struct stat sb;
	int fd = openat(root, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = fstat(fd, &sb) < 0 ? errno : S_ISREG(sb.st_mode) ? 0 : EINVAL;
	if (e) {
		close(fd);
		return -e;
	}
	uint32_t crc = 0;
	uint64_t size = 0;
	for (;;) {
		ssize_t r = read(fd, buf, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		crc = crc32c_update(crc, buf, (size_t)r);
		size += (uint64_t)r;
	}
	close(fd);
	f->size = size;
	f->crc = crc;
	return 0;
}

int ld_files_load(struct ld_shared *sh, char *err, size_t errlen)
{
	const struct ld_config *cfg = sh->cfg;
	const char *rootp = cfg->file_root[0] ? cfg->file_root : ".";
	unsigned n = 1;
	int rc = 0;

	if (!cfg->files[0])
		return 0;
	for (const char *p = cfg->files; *p; p++)
		n += *p == ',';
	sh->file_names = strdup(cfg->files);
	sh->files = calloc(n, sizeof(*sh->files));
	uint8_t *buf = malloc(CHUNK);
	if (!sh->file_names || !sh->files || !buf) {
		free(buf);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int root = open(rootp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		rc = -errno;
		snprintf(err, errlen, "--file-root: %.200s: %s", rootp, strerror(-rc));
		free(buf);
		return rc == -ENOENT || rc == -ENOTDIR || rc == -EACCES ? -EINVAL : rc;
	}
	char *save = NULL;
	for (char *name = strtok_r(sh->file_names, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		struct ld_file *f = &sh->files[sh->nfiles];
		f->name = name;
		f->len = strlen(name);
		if ((rc = digest(root, name, f, buf)) < 0) {
			snprintf(err, errlen, "--file: %.200s: %s under --file-root %.200s",
				 name, rc == -EINVAL ? "not a regular file" : strerror(-rc), rootp);
			if (rc != -ENOMEM && rc != -EIO)
				rc = -EINVAL;
			break;
		}
		sh->nfiles++;
	}
	close(root);
	free(buf);
	return rc;
}

void ld_files_free(struct ld_shared *sh)
{
	free(sh->files);
	free(sh->file_names);
	sh->files = NULL;
	sh->file_names = NULL;
	sh->nfiles = 0;
}

int ld_file_request(struct ld_client *c)
{
	const struct ld_shared *sh = c->w->sh;
	const struct ld_file *f = &sh->files[(c->id + c->seq++) % sh->nfiles];
	uint8_t *p = net_buf_reserve(&c->out, f->len + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, f->name, f->len);
	p[f->len] = '\n';
	c->out.len += f->len + 1;
	c->file = f;
	c->hdr_got = 0;
	c->body_left = 0;
	c->crc = 0;
	return 0;
}

int ld_file_consume(struct ld_client *c, const uint8_t *p, size_t n, enum ld_err *kind)
{
	bool check = c->w->cfg->verify != PL_VERIFY_NONE;
	*kind = LD_ERR_MISMATCH;
	if (c->hdr_got < sizeof(c->hdr)) {
		size_t m = sizeof(c->hdr) - c->hdr_got;
		if (m > n)
			m = n;
		memcpy(c->hdr + c->hdr_got, p, m);
		c->hdr_got += (unsigned)m;
		p += m;
		n -= m;
		if (c->hdr_got < sizeof(c->hdr))
			return 0;
		uint64_t size = 0;
		for (int i = 0; i < 8; i++)
			size = size << 8 | c->hdr[i];
		if (size == NOT_FOUND) {
			*kind = LD_ERR_NOTFOUND;
			return -1;
		}
		if (size != c->file->size)
			return -1;
		c->body_left = size;
	}
	if (n > c->body_left)
		return -1;              /* more than the size said: out of step */
	if (check)
		c->crc = crc32c_update(c->crc, p, n);
	c->body_left -= n;
	c->w->bytes_received += n;
	if (c->body_left > 0)
		return 0;
	if (check && c->crc != c->file->crc)
		return -1;
	return 1;
}
