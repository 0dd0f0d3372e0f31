/* fsutil.h: small file-system helpers shared by the commands. */
#ifndef BKP_FSUTIL_H
#define BKP_FSUTIL_H

/* Removes name under dfd and everything below it, whatever the modes
 * inside, never following a symlink.  0, or -1 with errno set. */
int fs_remove_tree(int dfd, const char *name);

#endif
