/*
 * privdrop.c -- give up root after the privileged set-up
 *
 * DESCRIPTION
 *	See privdrop.h. The order is setgroups, setresgid, setresuid, as in
 *	OpenSMTPD's privilege separation; afterwards setuid(0) must fail.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privdrop.h"

int
privdrop_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user \"%s\": %s", user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL && group[0] != '\0') {
		errno = 0;
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "group \"%s\": %s", group,
			    errno ? strerror(errno) : "no such group");
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int
privdrop_to(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		snprintf(
		    err, errlen, "cannot drop privileges: %s", strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) != -1) {
		snprintf(err, errlen, "could regain root after dropping it");
		return -1;
	}
	return 0;
}
