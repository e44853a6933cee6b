/*
 * tty_fault.c - LD_PRELOAD shim for admin.test: stdin is a terminal (isatty()
 * says so) but tcgetattr() fails, and every tcsetattr() is reported on stderr
 * instead of being done, so a test sees settings written that were never read.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int
tcgetattr(int fd, struct termios *t)
{
	(void)fd;
	memset(t, 0x5a, sizeof(*t));	/* what an unread struct may hold */
	errno = EIO;
	return -1;
}

int
tcsetattr(int fd, int how, const struct termios *t)
{
	static const char msg[] = "TTY-FAULT: tcsetattr called\n";

	(void)fd;
	(void)how;
	(void)t;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		return -1;
	return 0;
}
