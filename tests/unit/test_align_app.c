/*
 * tests/unit/test_align_app.c — the matching of a case's app logs to its
 * captured TCP flows (harness/capture/align_app.h), without a capture:
 * server records as events, connections on a reused port pair taking
 * the flows in order, the client matched on its target port, the
 * warmup's server connection left out and not counted as unmatched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testlib/testlib.h"

#include "harness/capture/align_app.h"

/* al_app_match only asks whether the case was captured. */
static const int fake_capture;
#define CAPTURED ((const struct capture *)(const void *)&fake_capture)

static struct srv_al_rec rec(uint8_t kind, uint32_t conn, uint64_t t, uint16_t lport,
			     uint16_t rport)
{
	return (struct srv_al_rec){.magic = SRV_AL_MAGIC, .kind = kind, .conn = conn,
				   .t_ns = t, .t_call_ns = t - 5, .offset = 7, .len = 3,
				   .lport = lport, .rport = rport, .rx_queue = 11,
				   .tx_queue = UINT32_MAX};
}

static void test_from_applog(void **state)
{
	(void)state;
	struct srv_al_rec r[] = {
		rec(SRV_AL_ACCEPT, 1, 100, 80, 4000), rec(SRV_AL_RECV, 1, 1100, 80, 4000),
		rec(SRV_AL_SAMPLE, 1, 1200, 80, 4000), rec(SRV_AL_CLOSE, 1, 1300, 80, 4000),
	};
	r[0].kind = 9;   /* not a kind: left out */
	struct al_event ev[4];
	assert_int_equal(al_events_from_applog(r, 4, 1000, ev), 3);
	assert_int_equal(ev[0].kind, AL_EV_RECV);
	assert_int_equal(ev[0].t_ns, 100);
	assert_int_equal(ev[0].t_call_ns, 95);
	assert_true(ev[0].has_call && ev[0].has_rport && !ev[0].early);
	assert_int_equal(ev[0].offset, 7);
	assert_int_equal(ev[0].len, 3);
	assert_int_equal(ev[0].flow, AL_NO_FLOW);
	assert_int_equal(ev[0].flow_id, -1);
	assert_int_equal(ev[1].kind, AL_EV_SAMPLE);
	assert_true(ev[1].has_call);
	assert_int_equal(ev[1].q.rx_queue, 11);
	assert_int_equal(ev[1].q.tx_queue, UINT32_MAX);
	assert_int_equal(ev[2].kind, AL_EV_CLOSE);
	assert_false(ev[2].has_call);
	assert_int_equal(ev[2].side, AL_SIDE_SERVER);
	assert_string_equal(al_ev_kind_name(AL_EV_CONNECT), "connect");
	assert_string_equal(al_ev_kind_name(AL_EV_SAMPLE), "sample");
	assert_string_equal(al_side_name(AL_SIDE_CLIENT), "client");
	assert_string_equal(al_side_name(AL_SIDE_SERVER), "server");
}

static struct al_event cev(uint32_t conn, uint8_t kind, uint16_t lport)
{
	return (struct al_event){.conn = conn, .kind = kind, .lport = lport, .flow = AL_NO_FLOW,
				 .flow_id = -1, .side = AL_SIDE_CLIENT, .len = 1};
}

static struct al_event sev(uint32_t conn, uint8_t kind, uint16_t lport, uint16_t rport,
			   bool early)
{
	return (struct al_event){.conn = conn, .kind = kind, .lport = lport, .rport = rport,
				 .has_rport = true, .flow = AL_NO_FLOW, .flow_id = -1,
				 .side = AL_SIDE_SERVER, .early = early, .len = 1};
}

/* Port 4000 -> 80 used twice (a reused pair), 4001 -> 80 once, and a
 * relay's leg 4000 -> 81 that the clients' port 80 must not take. */
static const struct al_flow flows[] = {
	{.id = 10, .idx = 0, .cport = 4000, .sport = 81},
	{.id = 11, .idx = 1, .cport = 4000, .sport = 80},
	{.id = 12, .idx = 2, .cport = 4001, .sport = 80},
	{.id = 13, .idx = 3, .cport = 4000, .sport = 80},
};

static void test_match(void **state)
{
	(void)state;
	struct al_event ev[] = {
		cev(1, AL_EV_CONNECT, 4000), cev(2, AL_EV_CONNECT, 4001),
		cev(1, AL_EV_SEND, 4000), cev(3, AL_EV_CONNECT, 4000),
		cev(4, AL_EV_CONNECT, 5000),
		/* the warmup's connection, then the three measured ones, one
		 * whose port pair the capture never saw */
		sev(9, AL_EV_RECV, 80, 4000, true), sev(5, AL_EV_RECV, 80, 4000, false),
		sev(6, AL_EV_RECV, 80, 4001, false), sev(7, AL_EV_RECV, 80, 4000, false),
		sev(8, AL_EV_SEND, 80, 4444, false), sev(8, AL_EV_CLOSE, 80, 4444, false),
	};
	struct al_app_case c = {.cap = CAPTURED, .flows = flows, .nflows = 4, .ev = ev,
				.nev = sizeof(ev) / sizeof(ev[0]), .target_port = 80};
	uint64_t unmatched = 99;
	assert_int_equal(al_app_match(&c, &unmatched), 0);
	static const int64_t want[] = {11, 12, 11, 13, -1, -1, 11, 12, 13, -1, -1};
	for (size_t i = 0; i < c.nev; i++) {
		assert_int_equal(ev[i].flow_id, want[i]);
		if (want[i] >= 0)
			assert_int_equal(flows[ev[i].flow].id, want[i]);
		else
			assert_int_equal(ev[i].flow, AL_NO_FLOW);
	}
	/* A client event's rport is its flow's server port, unknown without one. */
	assert_true(ev[0].has_rport);
	assert_int_equal(ev[0].rport, 80);
	assert_false(ev[4].has_rport);
	/* Only the measured server send on no flow counts, not its close
	 * and not the warmup's recv. */
	assert_int_equal(unmatched, 1);
	/* Without a capture nothing is counted. */
	c.cap = NULL;
	assert_int_equal(al_app_match(&c, &unmatched), 0);
	assert_int_equal(unmatched, 0);
}

/* Without a target port the client is matched on its local port alone. */
static void test_match_no_target(void **state)
{
	(void)state;
	struct al_event ev[] = {cev(1, AL_EV_CONNECT, 4000)};
	struct al_app_case c = {.flows = flows, .nflows = 4, .ev = ev, .nev = 1};
	uint64_t unmatched;
	assert_int_equal(al_app_match(&c, &unmatched), 0);
	assert_int_equal(ev[0].flow_id, 10);   /* the first flow on port 4000 */
	assert_int_equal(ev[0].rport, 81);
	struct al_app_case none = {.ev = ev, .nev = 1};
	assert_int_equal(al_app_match(&none, &unmatched), 0);
	assert_int_equal(ev[0].flow_id, -1);
	struct al_flow_dir *dirs = (void *)1;
	size_t ndirs = 5;
	struct al_app_totals tot;
	assert_int_equal(al_app_align(&none, &dirs, &ndirs, &tot), 0);
	assert_null(dirs);
	assert_int_equal(ndirs, 0);
	assert_false(tot.have);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_applog),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_no_target),
	};
	return tl_run_group(tests, NULL, NULL);
}
