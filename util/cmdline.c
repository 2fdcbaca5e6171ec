/*
 * util/cmdline.c — shell-quoting an argv (cmdline.h).
 */
#include "util/cmdline.h"

#include <stdbool.h>
#include <string.h>

#include "util/buf.h"

/* Characters no POSIX shell gives a meaning to inside a word. */
static bool plain(const char *w)
{
	if (!*w)
		return false;
	for (const char *p = w; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-+=./:,@%", *p))
			return false;
	return true;
}

static int put_word(struct net_buf *b, const char *w)
{
	if (plain(w))
		return net_buf_append(b, w, strlen(w));
	int rc = net_buf_append(b, "'", 1);
	for (const char *p = w; *p && rc == 0; p++)
		rc = *p == '\'' ? net_buf_append(b, "'\\''", 4) : net_buf_append(b, p, 1);
	return rc == 0 ? net_buf_append(b, "'", 1) : rc;
}

int cmdline_join(char *const *argv, char **out)
{
	struct net_buf b = {0};
	int rc = 0;
	for (size_t i = 0; argv[i] && rc == 0; i++) {
		if (i)
			rc = net_buf_append(&b, " ", 1);
		if (rc == 0)
			rc = put_word(&b, argv[i]);
	}
	if (rc == 0)
		rc = net_buf_append(&b, "", 1);   /* the NUL; off stays 0 */
	if (rc < 0) {
		net_buf_free(&b);
		return rc;
	}
	*out = (char *)b.data;   /* the buffer's own allocation, handed over */
	return 0;
}
