/* alz_clock.h - the monotonic clock in milliseconds: every deadline and wait of the module. */
#ifndef ALZ_CLOCK_H
#define ALZ_CLOCK_H

#include <time.h>

static inline long
alz_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
