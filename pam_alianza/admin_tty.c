/*
 * admin_tty.c - pam_alianza-admin's prompts: one answer from the terminal
 * (or standard input), echo off, and echo back on whatever ends the prompt.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "alz_admin.h"

#define ANSWER_MAX 1024	/* bytes of one answer, the newline excluded */

/* The signals that end or stop a prompt: echo is back on before they act. */
static const int prompt_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU };
#define N_PROMPT_SIGNALS (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

static volatile sig_atomic_t caught;

static void
on_prompt_signal(int sig)
{
	caught = sig;
}

/*
 * One line from FD into BUF. The prompt signals are blocked except inside
 * ppoll, so one that arrives is seen at once and never lands between the
 * check and a read that would then block. ALZ_ERR_CONV: EOF, an error or
 * a signal (caught is set); ALZ_ERR_INPUT: the line is longer than CAP - 1.
 */
static enum alz_rc
read_line(int fd, const sigset_t *wait_mask, char *buf, size_t cap)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	enum alz_rc rc = ALZ_ERR_CONV;
	bool too_long = false;
	size_t n = 0;
	ssize_t got;
	char ch = '\0';

	for (;;) {
		if (caught != 0)
			goto out;
		if (ppoll(&pfd, 1, NULL, wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		got = read(fd, &ch, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || (got == 0 && n == 0 && !too_long))
			goto out;
		if (got == 0 || ch == '\n')
			break;
		if (n + 1 >= cap)
			too_long = true;	/* read on to the newline, then refuse */
		else
			buf[n++] = ch;
	}
	rc = too_long ? ALZ_ERR_INPUT : ALZ_OK;
out:
	buf[n] = '\0';
	explicit_bzero(&ch, sizeof(ch));
	return rc;
}

/*
 * Ask on stderr once and read stdin, with echo off when it is a terminal.
 * Only settings tcgetattr really read are written back, and they are back
 * before a prompt signal can act: *SIG is the one that cut the prompt short.
 */
static enum alz_rc
ask_once(const char *prompt, char *buf, size_t cap, int *sig)
{
	struct sigaction sa, old_sa[N_PROMPT_SIGNALS];
	struct termios old, quiet;
	sigset_t block, wait_mask;
	enum alz_rc rc;
	bool echo_off;
	size_t i;

	caught = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prompt_signal;	/* no SA_RESTART: ppoll returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaddset(&block, prompt_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	for (i = 0; i < N_PROMPT_SIGNALS; i++) {
		sigaction(prompt_signals[i], &sa, &old_sa[i]);
		if (old_sa[i].sa_handler == SIG_IGN)	/* ignored by our caller: stays so */
			sigaction(prompt_signals[i], &old_sa[i], NULL);
	}
	echo_off = tcgetattr(STDIN_FILENO, &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	if (!echo_off && isatty(STDIN_FILENO)) {
		/* a terminal that keeps echoing would show the secret */
		fputs("error: cannot turn echo off on this terminal; not asking\n", stderr);
		rc = ALZ_ERR_CONV;
	} else {
		fputs(prompt, stderr);
		fflush(stderr);
		rc = read_line(STDIN_FILENO, &wait_mask, buf, cap);
	}
	if (echo_off) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	for (i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &old_sa[i], NULL);
	*sig = caught;
	sigprocmask(SIG_SETMASK, &wait_mask, NULL);
	return rc;
}

/*
 * A signal that cut the prompt short is raised again once echo is back,
 * with the caller's disposition (Ctrl-C ends the tool as it would have);
 * after a stop (Ctrl-Z, then fg) the prompt starts over.
 */
enum alz_rc
alz_admin_ask(void *ctx, const char *prompt, char **answer)
{
	char buf[ANSWER_MAX + 1];
	enum alz_rc rc;
	int sig;

	(void)ctx;
	*answer = NULL;
	for (;;) {
		rc = ask_once(prompt, buf, sizeof(buf), &sig);
		if (sig == 0)
			break;
		explicit_bzero(buf, sizeof(buf));
		raise(sig);	/* unblocked now: acts before raise() returns */
		if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU) {
			rc = ALZ_ERR_CONV;
			break;
		}
	}
	if (rc == ALZ_OK) {
		*answer = strdup(buf);
		if (*answer == NULL)
			rc = ALZ_ERR_NOMEM;
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

void
alz_admin_tell(void *ctx, bool error, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s%s\n", error ? "! " : "", msg);
}

void
alz_admin_block_signals(sigset_t *old)
{
	sigset_t block;
	size_t i;

	sigemptyset(&block);
	for (i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaddset(&block, prompt_signals[i]);
	sigprocmask(SIG_BLOCK, &block, old);
}
