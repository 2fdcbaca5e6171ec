/*
 * harness/runner/stages.c — the one table of a case's stages, in begin
 * order (stage.h says what each pass does and in which direction). The
 * order is the case's ordering rules:
 *
 *   netns    first made, last removed: everything else runs inside it.
 *   server   in the server namespace; stopped after the relay and the
 *            UDP accounting's end (after_measure runs in reverse).
 *   udp      its begin snapshot before the warmup, its end before the
 *            server stops (it reads the server's /proc), its row after
 *            every stage stored (finish).
 *   relay    in front of the server: needs its address; stopped first.
 *   load     warmup (before_measure) and the measured phase.
 *   capture  started after the warmup, stored (and stopped) after the
 *            server stopped, closed before the pair goes.
 *   align    its clock right after the capture started; its finish after
 *            the capture's flows are stored.
 *
 * A new stage is a file exporting a const struct run_stage and a row here.
 */
#include "harness/runner/stage.h"

const struct run_stage *const run_stage_table[] = {
	&run_stage_netns,
	&run_stage_server,
	&run_stage_udp,
	&run_stage_relay,
	&run_stage_load,
	&run_stage_capture,
	&run_stage_align,
};

const size_t run_stage_count = sizeof(run_stage_table) / sizeof(run_stage_table[0]);
