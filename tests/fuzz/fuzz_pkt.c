/*
 * tests/fuzz/fuzz_pkt.c — libFuzzer target over the packet parser
 * (harness/capture/pkt.h) and the flow table behind it. The first input byte picks
 * the link type; the rest is the frame. The parser must never read past
 * caplen (ASan), and whatever it accepts must be accountable to a flow.
 */
#include <stddef.h>
#include <stdint.h>

#include "harness/capture/flows.h"
#include "harness/capture/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = {
	CAP_LINK_EN10MB, CAP_LINK_LINUX_SLL, CAP_LINK_LINUX_SLL2, CAP_LINK_NULL,
	CAP_LINK_LOOP, CAP_LINK_RAW, CAP_LINK_RAW_DLT, CAP_LINK_IPV4, CAP_LINK_IPV6,
	147,    /* not supported: must be refused cleanly */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_flows *fl = NULL;
	struct cap_totals t = {0};

	if (size < 1 || size > 70000)
		return 0;
	int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	uint32_t len = (uint32_t)(size - 1);
	if (cap_flows_new(&fl, &(struct cap_flows_cfg){.max_flows = 4}) < 0)
		return 0;
	/* Once as captured, once with a wire length beyond caplen (a snaplen
	 * cut), as a live capture would see it. */
	cap_flows_account(fl, &t, link, data + 1, len, len, 1, 0);
	cap_flows_account(fl, &t, link, data + 1, len, len + 1000, 2, 0);
	cap_flows_free(fl);
	return 0;
}
