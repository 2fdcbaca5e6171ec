/*
 * util/json.h — JSON strings (RFC 8259) and numbers, the one implementation
 * behind every JSON socklab writes: load and analyze output, the store's
 * parameter objects, reports, the run summary, the demos. UTF-8 passes
 * through; control characters are escaped. Numbers are written exactly
 * (the shortest text that reads back as the same double); JSON has no NaN
 * or infinity, so those are null.
 */
#ifndef SOCKLAB_UTIL_JSON_H
#define SOCKLAB_UTIL_JSON_H

#include <stdio.h>

#include "util/buf.h"

/* Append s as a quoted JSON string. 0 or -ENOMEM. */
int net_json_string(struct net_buf *b, const char *s);
/* Write s as a quoted JSON string; NULL is written as null. */
void net_json_fputs(FILE *f, const char *s);
/* v as the shortest "%.{15,16,17}g" text that reads back exactly (also
 * for CSV and tables that must carry every digit). */
void net_num_shortest(char *buf, size_t len, double v);
/* Write v as a JSON number; null when NaN or infinite. */
void net_json_number(FILE *f, double v);

#endif
