/*
 * net/json.h — JSON string escaping (RFC 8259), the one implementation
 * behind every JSON socklab writes: load and analyze output, the store's
 * parameter objects, reports, the run summary. UTF-8 passes through;
 * control characters are escaped.
 */
#ifndef SOCKLAB_NET_JSON_H
#define SOCKLAB_NET_JSON_H

#include <stdio.h>

#include "net/buf.h"

/* Append s as a quoted JSON string. 0 or -ENOMEM. */
int net_json_string(struct net_buf *b, const char *s);
/* Write s as a quoted JSON string; NULL is written as null. */
void net_json_fputs(FILE *f, const char *s);

#endif
