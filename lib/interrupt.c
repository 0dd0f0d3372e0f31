/* interrupt.c: signals that end a locked operation cleanly. */
#include <signal.h>
#include <string.h>

#include "error.h"
#include "interrupt.h"
#include "log.h"

static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSIGNALS (sizeof(signals) / sizeof(signals[0]))

static volatile sig_atomic_t caught;
static struct sigaction saved[NSIGNALS];
static int armed, reported;

static void
on_signal(int sig)
{
	if (caught) {	/* the second one: no more waiting */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	caught = sig;
}

void
interrupt_arm(void)
{
	struct sigaction sa;

	if (armed++ > 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSIGNALS; i++) {
		sigaction(signals[i], NULL, &saved[i]);
		if (saved[i].sa_handler != SIG_IGN)
			sigaction(signals[i], &sa, NULL);
	}
}

void
interrupt_disarm(void)
{
	if (armed == 0 || --armed > 0)
		return;
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaction(signals[i], &saved[i], NULL);
}

int
interrupt_check(void)
{
	if (!armed || !caught)
		return 0;
	if (!reported)
		log_error("interrupted (%s); stopping and cleaning up",
		    strsignal(caught));
	reported = 1;
	return -BKP_EFAILED;
}

int
interrupt_caught(void)
{
	return caught;
}

void
interrupt_reraise(void)
{
	struct sigaction sa;

	if (!caught)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(caught, &sa, NULL);
	raise(caught);
}
