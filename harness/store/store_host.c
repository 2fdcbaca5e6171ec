/*
 * harness/store/store_host.c — what a run records about the machine it ran on
 * (host name, kernel, CPU model and count) and the wall-clock timestamps
 * the store writes (UTC, ISO 8601, milliseconds), so that runs from
 * different machines or days can be told apart in a comparison.
 */
#include "harness/store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

void db_utc_now(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	/* CLOCK_REALTIME cannot fail with a valid clock id and pointer. */
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!gmtime_r(&ts.tv_sec, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm) != 19) {
		snprintf(buf, 32, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(buf + 19, 32 - 19, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

/* Value of the first "key<tabs>: value" line of /proc/cpuinfo with one of keys. */
static int cpuinfo_model(char *out, size_t len)
{
	/* x86 says "model name"; arm64 and others "Hardware", "cpu model", "Processor". */
	static const char *const keys[] = {"model name", "Hardware", "cpu model", "Processor", "cpu"};
	char line[512];
	int found = -1;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		char *end = colon;
		while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		for (int k = 0; k < (int)(sizeof keys / sizeof keys[0]); k++) {
			if (found >= 0 && k >= found)
				break;
			if ((size_t)(end - line) == strlen(keys[k]) &&
			    strncmp(line, keys[k], (size_t)(end - line)) == 0) {
				char *v = colon + 1;
				v += strspn(v, " \t");
				v[strcspn(v, "\n")] = '\0';
				if (*v) {
					snprintf(out, len, "%s", v);
					found = k;
				}
				break;
			}
		}
		if (found == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		return -e;
	}
	fclose(f);
	return found >= 0 ? 0 : -ENOENT;
}

int db_host_meta(struct db_host *h)
{
	struct utsname u;

	memset(h, 0, sizeof *h);
	if (gethostname(h->host, sizeof h->host - 1) != 0)
		return -errno;
	if (uname(&u) != 0)
		return -errno;
	snprintf(h->kernel, sizeof h->kernel, "%s %s %s %s",
		 u.sysname, u.release, u.version, u.machine);
	/* A missing /proc (a container without it) is not worth failing a run. */
	if (cpuinfo_model(h->cpu_model, sizeof h->cpu_model) != 0)
		snprintf(h->cpu_model, sizeof h->cpu_model, "unknown");
	h->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return 0;
}
