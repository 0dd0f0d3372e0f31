/* interrupt.h: SIGINT, SIGTERM and SIGHUP while a repository lock is held.
 *
 * While armed, these signals are caught instead of ending the process: the
 * next repository operation (transport.c) fails, so the command unwinds
 * through its normal cleanup (temporary objects thrown away, its lock
 * removed, the audit record written); main() then ends the process with
 * the signal.  A second signal ends it at once.  A signal ignored when bkp
 * started (nohup, a background job) stays ignored.
 */
#ifndef BKP_INTERRUPT_H
#define BKP_INTERRUPT_H

/* Nested: the handlers are installed by the first arm and the previous
 * ones restored by the last disarm. */
void interrupt_arm(void);
void interrupt_disarm(void);
/* 0, or -BKP_EFAILED (reported once) when a signal was caught while
 * armed. */
int interrupt_check(void);
/* The signal caught, or 0. */
int interrupt_caught(void);
/* Ends the process with the signal caught, if any. */
void interrupt_reraise(void);

#endif
