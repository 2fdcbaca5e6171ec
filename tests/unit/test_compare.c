/*
 * tests/unit/test_compare.c — the noise rule of `socklab report --compare`:
 * the exact Mann-Whitney p-values against values worked out by hand from
 * the U distribution, and the edge cases (too few values, ties, identical
 * samples).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib/testlib.h"

#include "reports/report.h"

static void near(double got, double want)
{
	if (fabs(got - want) > 1e-12)
		fail_msg("p = %.15g, want %.15g", got, want);
}

static void test_separated(void **state)
{
	(void)state;
	const double a[] = {1, 2, 3}, b[] = {4, 5, 6};
	/* All of one below all of the other: 2 orderings of C(6,3) = 20. */
	near(rpt_mann_whitney_p(a, 3, b, 3), 2.0 / 20);
	near(rpt_mann_whitney_p(b, 3, a, 3), 2.0 / 20);
	near(rpt_disjoint_chance(3, 3), 2.0 / 20);
	const double c[] = {10, 11, 12, 13, 14}, d[] = {20, 21, 22, 23, 24};
	near(rpt_mann_whitney_p(c, 5, d, 5), 2.0 / 252);
}

static void test_one_outlier(void **state)
{
	(void)state;
	/* Five and five, one repeat of the second run among the first (above
	 * one baseline value): U = 1; the orderings with U <= 1 are 2 of 252,
	 * two-sided 4/252. "Ranges apart" called this noise. */
	const double base[] = {3909, 3980, 4010, 4100, 4194};
	const double after[] = {1700, 1750, 1800, 1850, 3972};
	near(rpt_mann_whitney_p(base, 5, after, 5), 4.0 / 252);
}

static void test_no_difference(void **state)
{
	(void)state;
	const double a[] = {1, 3, 5}, b[] = {2, 4, 6};
	/* U = 6 (pairs a < b) of 9: P(U >= 6) = P(U <= 3) = 7/20 -> p = 0.7. */
	near(rpt_mann_whitney_p(a, 3, b, 3), 14.0 / 20);
	const double same[] = {7, 7, 7};
	/* All ties: U = 4.5, the middle: p = 1. */
	near(rpt_mann_whitney_p(same, 3, same, 3), 1);
}

static void test_edges(void **state)
{
	(void)state;
	const double a[] = {1};
	assert_true(isnan(rpt_mann_whitney_p(a, 0, a, 1)));
	assert_true(isnan(rpt_mann_whitney_p(a, 1, a, 0)));
	/* One value each: p = 1 whatever they are (2 orderings, 1 each side). */
	const double b[] = {2};
	near(rpt_mann_whitney_p(a, 1, b, 1), 1);
	/* Larger than the exact table allows: no p. */
	static double big[101];
	assert_true(isnan(rpt_mann_whitney_p(big, 101, big, 100)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_separated),
		cmocka_unit_test(test_one_outlier),
		cmocka_unit_test(test_no_difference),
		cmocka_unit_test(test_edges),
	};
	return tl_run_group(tests, NULL, NULL);
}
