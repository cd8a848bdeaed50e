/*
 * Fenced code blocks, judged once: the loader reads every info string
 * here, checks it, and attaches the verdict to the node (cmark user
 * data of a CODE_BLOCK).  The back ends and the example writer only read
 * verdicts; none of them looks at an info string again.
 *
 * Info strings guidebook gives a meaning to (guidebook(1), EXAMPLES):
 *	python [fragment] [requires=X.Y]	a program, run by the tests
 *	pycon [requires=X.Y] [python<X.Y ...]	an interactive session
 *	output [python>=X.Y ...]		the output of the python block
 *	diagram [caption="..."] [id=NAME]	a text drawing, a figure
 * A version condition is "python" and one or more comparisons joined by
 * commas (python>=3.12,<3.14); several words are all required.
 */
#ifndef GUIDEBOOK_CODEINFO_H
#define GUIDEBOOK_CODEINFO_H

#include <cmark.h>

#include "util.h"

enum code_kind {
	CODE_TEXT,		/* any other language, or none: shown as is */
	CODE_PYTHON,		/* python or py: highlighted */
	CODE_PYCON,		/* an interactive session: highlighted */
	CODE_OUTPUT,		/* the output of the python block before it */
	CODE_DIAGRAM		/* a text drawing: a figure */
};

/* The widest drawing a man page shows whole. */
#define DIAGRAM_COLUMNS_MAX	78

/* Versions are major * 100 + minor: 3.14 is 314. */
#define VERSION_MIN	0
#define VERSION_MAX	9999

/* The versions a block applies to: lo to hi, both included. */
struct vrange {
	int	 lo;
	int	 hi;
};

struct codeinfo {
	enum code_kind	 kind;
	char		*lang;		/* class name ("rust"), "" for none */
	int		 example;	/* python or pycon the tests run */
	int		 fragment;	/* python fragment: shown, not run */
	int		 requires;	/* requires=X.Y, or VERSION_MIN */
	int		 versioned;	/* has a python... condition */
	struct vrange	 range;		/* where it applies (all if not) */
	char		*label;		/* "Output on 3.14 and later", "Figure 3.2" */
	char		*caption;	/* diagram: caption, or NULL */
	char		*id;		/* diagram: anchor in its document */
	size_t		 figure;	/* diagram: number in the chapter */
	char		*drawing;	/* diagram: its text, kept for the
					   EPUB's SVG files */
	int		 bad;		/* an error was reported on it */
	int		 line;		/* where the block starts */
	int		 col;
};

/*
 * Judge the info string of code block n of document path into ci
 * (zeroed first); text is the document's source, for the columns of
 * messages.  Reports bad attributes with file:line:col.  Returns 0, or
 * -1 after an error.
 */
int	codeinfo_parse(const char *path, const char *text, cmark_node *n,
	    struct codeinfo *ci);

/* Free what ci owns. */
void	codeinfo_free(struct codeinfo *ci);

/*
 * Check the blocks of one document in order (n of them): every set of
 * output blocks after a python block, and every run of versioned pycon
 * blocks, must cover each version exactly once; labels are written and
 * diagrams numbered (chapter: the document's number, 0 for none).
 * Returns 0, or -1 after an error.
 */
int	codeinfo_check(const char *path, cmark_node *root,
	    struct codeinfo *blocks, size_t n, size_t chapter);

/* Does the range hold version v (major * 100 + minor)? */
int	vrange_has(const struct vrange *, int v);

/* The range as a condition for examples.tsv ("-" for all); caller frees. */
char	*vrange_spec(const struct vrange *);

/* "3.14 and later", "3.12 and 3.13", ...; NULL for all.  Caller frees. */
char	*vrange_words(const struct vrange *);

#endif
