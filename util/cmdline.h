/*
 * util/cmdline.h — an argv as one line a POSIX shell reads back into the
 * same argv: words of safe characters as they are, anything else in single
 * quotes ('it'\''s'). How the runner records the command lines of the
 * children it starts, so that a case's server can be started again by
 * hand.
 */
#ifndef SOCKLAB_UTIL_CMDLINE_H
#define SOCKLAB_UTIL_CMDLINE_H

/* Join the NULL-terminated argv into *out (caller frees with free()).
 * 0 or -ENOMEM. */
int cmdline_join(char *const *argv, char **out);

#endif
