/*
 * clients/ld_report.c — the load result as text for a person or as one
 * JSON object for a program (`socklab load --json`, the scenario runner).
 */
#include "util/json.h"
#include "clients/engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

/* "45.1us", "12.3ms", "1.20s". */
static const char *dur(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	return buf;
}

static const char *mode(const struct ld_config *cfg)
{
	if (cfg->flood)
		return "flood";
	return cfg->rate > 0 ? "open loop" : "closed loop";
}

void ld_result_print(const struct ld_config *cfg, const struct ld_result *r, FILE *f)
{
	char target[NET_ADDRSTRLEN], b[5][32];
	const struct hist *h = &r->latency;

	fprintf(f, "target     %s (%s), %u clients on %u threads, %s%s\n",
		net_addr_str(&cfg->target, target, sizeof(target)), net_proto_name(cfg->proto),
		cfg->clients, r->threads, mode(cfg),
		cfg->connect_per_request ? ", one connection per request" : "");
	if (cfg->files[0])
		fprintf(f, "files      %.200s%s from %s, checked by size%s\n", cfg->files,
			strlen(cfg->files) > 200 ? "..." : "",
			cfg->file_root[0] ? cfg->file_root : ".",
			cfg->verify == PL_VERIFY_NONE ? "" : " and CRC-32C");
	if (cfg->rate > 0)
		fprintf(f, "rate       %.1f/s intended\n", cfg->rate);
	fprintf(f, "duration   %.3f s\n", (double)r->elapsed_ns / 1e9);
	fprintf(f, "requests   %" PRIu64 "   replies %" PRIu64 "   (%.1f/s)", r->requests,
		r->replies, r->throughput_rps);
	if (r->incomplete)
		fprintf(f, "   unanswered at the end %" PRIu64, r->incomplete);
	fprintf(f, "\nbytes      sent %" PRIu64 "   received %" PRIu64 "   connections %" PRIu64 "\n",
		r->bytes_sent, r->bytes_received, r->connects);
	fprintf(f, "errors     %" PRIu64, r->errors);
	if (r->errors) {
		const char *sep = "  (";
		for (int k = 0; k < LD_ERR__COUNT; k++) {
			if (!r->err[k])
				continue;
			fprintf(f, "%s%s %" PRIu64, sep, ld_err_name((enum ld_err)k), r->err[k]);
			sep = ", ";
		}
		fprintf(f, ")");
	}
	fprintf(f, "\n");
	if (h->total)
		fprintf(f, "latency    p50 %s  p90 %s  p99 %s  p99.9 %s  max %s%s\n",
			dur(hist_percentile(h, 50), b[0], sizeof(b[0])),
			dur(hist_percentile(h, 90), b[1], sizeof(b[1])),
			dur(hist_percentile(h, 99), b[2], sizeof(b[2])),
			dur(hist_percentile(h, 99.9), b[3], sizeof(b[3])),
			dur(h->max, b[4], sizeof(b[4])),
			cfg->rate > 0 ? "  (from intended send times)" : "");
	else
		fprintf(f, "latency    (no replies)\n");
	if (!net_proto_is_stream(cfg->proto))
		fprintf(f, "datagrams  sent %" PRIu64 "  received %" PRIu64 "  lost %" PRIu64
			"  duplicated %" PRIu64 "  reordered %" PRIu64 "  late %" PRIu64
			"  refused %" PRIu64 "\n",
			r->udp.sent, r->udp.received, r->udp.lost, r->udp.duplicated,
			r->udp.reordered, r->udp.late, r->udp.refused);
	if (r->sources)
		fprintf(f, "sources    %u addresses from 127.0.0.2\n", r->sources);
	if (r->unreachable)
		fprintf(f, "unreachable: every client was refused at start\n");
}

void ld_result_json(const struct ld_config *cfg, const struct ld_result *r, FILE *f)
{
	char target[NET_ADDRSTRLEN];
	const struct hist *h = &r->latency;

	fprintf(f, "{\"target\":");
	net_json_fputs(f, net_addr_str(&cfg->target, target, sizeof(target)));
	fprintf(f, ",\"proto\":\"%s\",\"clients\":%u,\"threads\":%u,\"mode\":\"%s\"",
		net_proto_name(cfg->proto), cfg->clients, r->threads, mode(cfg));
	fprintf(f, ",\"rate\":%.3f,\"duration_s\":%.6f", cfg->rate, (double)r->elapsed_ns / 1e9);
	fprintf(f, ",\"requests\":%" PRIu64 ",\"replies\":%" PRIu64 ",\"incomplete\":%" PRIu64,
		r->requests, r->replies, r->incomplete);
	fprintf(f, ",\"errors\":%" PRIu64 ",\"errors_by_kind\":{", r->errors);
	for (int k = 0; k < LD_ERR__COUNT; k++)
		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", ld_err_name((enum ld_err)k), r->err[k]);
	fprintf(f, "},\"throughput_rps\":%.3f,\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64
		",\"connects\":%" PRIu64, r->throughput_rps, r->bytes_sent, r->bytes_received,
		r->connects);
	fprintf(f, ",\"latency_us\":{\"count\":%" PRIu64 ",\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
		"\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f}", h->total,
		us(hist_percentile(h, 50)), us(hist_percentile(h, 90)), us(hist_percentile(h, 99)),
		us(hist_percentile(h, 99.9)), us(h->max), hist_mean(h) / 1000.0);
	if (!net_proto_is_stream(cfg->proto))
		fprintf(f, ",\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64
			",\"duplicated\":%" PRIu64 ",\"reordered\":%" PRIu64 ",\"late\":%" PRIu64
			",\"refused\":%" PRIu64,
			r->udp.sent, r->udp.received, r->udp.lost, r->udp.duplicated,
			r->udp.reordered, r->udp.late, r->udp.refused);
	fprintf(f, ",\"sources\":%u,\"unreachable\":%s,\"app_events\":%zu,\"app_events_dropped\":%"
		PRIu64 "}\n", r->sources, r->unreachable ? "true" : "false", r->nevents,
		r->events_dropped);
}
