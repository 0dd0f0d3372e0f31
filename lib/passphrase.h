/* passphrase.h: where a passphrase comes from, never argv.
 *
 * In order: the file named (its first line), the environment variable
 * BKP_PASSPHRASE, or the terminal (not echoed; asked twice when confirm).
 * The result is in sodium_malloc memory: release it with passphrase_free.
 */
#ifndef BKP_PASSPHRASE_H
#define BKP_PASSPHRASE_H

#include <stddef.h>

#define PASSPHRASE_ENV "BKP_PASSPHRASE"
#define PASSPHRASE_MAX 1024

int passphrase_get(const char *file, int confirm, char **pass, size_t *len);
/* A new passphrase (bkp key passwd, key rotate): from file, else
 * $BKP_NEW_PASSPHRASE, else the terminal, asked twice. */
#define PASSPHRASE_NEW_ENV "BKP_NEW_PASSPHRASE"
int passphrase_get_new(const char *file, char **pass, size_t *len);
void passphrase_free(char *pass);

#endif
