/*
 * A zip archive built in memory from a list of members.  The members
 * to compress are made (when they are made on demand) and deflated by
 * jobs of the pool, each in an archive of its own, so that the work
 * spreads over the processors and the bytes are the same whatever the
 * number of threads; libzip then copies the deflated bytes into place.
 * Members keep their order; every timestamp is the given epoch, in UTC.
 */
#ifndef GUIDEBOOK_ARCHIVE_H
#define GUIDEBOOK_ARCHIVE_H

#include <stddef.h>
#include <time.h>

struct archive_member {
	char		*name;		/* path in the archive; caller's */
	char		*data;		/* the bytes, or NULL: made by make() */
	size_t		 len;
	int		 store;		/* stored as it is, never deflated */
	size_t		 weight;	/* about the work it takes: bytes */
	const void	*arg;		/* for make() */
};

/*
 * Makes the bytes of a member whose data is NULL, on a pool thread:
 * returns them (freed by archive_build) and their length in *len.
 */
typedef char	*(*archive_make_fn)(void *ctx, const void *arg, size_t *len);

/*
 * Build the archive of the n members m.  The data of every member that
 * is deflated is freed as soon as it has been, and set to NULL; the data
 * of stored members stays the caller's.  On success *out (caller frees)
 * and *outlen hold the archive; returns 0, or -1 after a diagnostic
 * (with libzip's reason).
 */
int	archive_build(struct archive_member *m, size_t n, time_t epoch,
	    archive_make_fn make, void *ctx, char **out, size_t *outlen);

#endif
