/*
 * Code examples out to the test runner: every python and pycon block of
 * the book, with the output block that follows it, and a manifest
 * (examples.tsv) naming each one's origin and kind.
 */
#ifndef GUIDEBOOK_EXAMPLES_H
#define GUIDEBOOK_EXAMPLES_H

#include "book.h"

/*
 * Write the examples of book b under outdir (created if needed).
 * Nothing is written when a problem was reported.  Returns 0, -1 after
 * a diagnostic, or RC_USAGE when a file would replace an input.
 */
int	examples_write(const struct book *, const char *outdir);

#endif
