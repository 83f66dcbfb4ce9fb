/*
 * testdir.h -- the scratch directory of a unit test, removed with all it
 * holds (shared by the tests that write files: journal, tail)
 */
#ifndef SUBGATE_TESTDIR_H
#define SUBGATE_TESTDIR_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

/* testdir_rm_one - nftw() callback removing one entry */
static inline int
testdir_rm_one(
    const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * testdir_remove - remove <dir> and everything under it, links not
 * followed; 0, or -1 when something could not be removed
 */
static inline int
testdir_remove(const char *dir)
{
	return nftw(dir, testdir_rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0
	                                                                : -1;
}

#endif
