/*
 * The resolved book: metadata, parts and chapters.  Each chapter is
 * read and parsed once while loading, which gives every heading its
 * unique id and records every link.  A book of up to KEEP_TREES_MAX
 * bytes of Markdown (book.c) keeps every tree from then on; a larger
 * one frees each tree once scanned and holds only the trees of one
 * load window, then of the chapters open at the time.  A back end that
 * walks a chapter opens it (doc_open: the kept tree, or the kept text
 * parsed again with the heading and link annotations attached in the
 * same order) and closes it after.  Nothing else in the book changes
 * after loading.
 */
#ifndef GUIDEBOOK_BOOK_H
#define GUIDEBOOK_BOOK_H

#include <stddef.h>
#include <time.h>

#include <cmark.h>

#include "codeinfo.h"
#include "util.h"

#define NO_PART ((size_t)-1)

/* Attached to every HEADING node (cmark user data).  Owned by the doc. */
struct heading {
	int		 level;		/* 1 to 6 */
	char		*id;		/* unique slug within the document */
	char		*text;		/* plain text of the heading */
};

enum link_kind {
	LINK_EXTERNAL,		/* absolute URL with a safe scheme: href */
	LINK_DOC,		/* a document of this book, maybe a place in it */
	LINK_KEEP,		/* render mode: a relative URL as written: href */
	LINK_IMAGE,		/* an image packaged with the book */
	LINK_DROP		/* unsafe or unresolved: render the text only */
};

struct doc;
struct codeinfo;
struct book_file;
struct html;
struct _xmlDoc;

/* A local image of the book, packaged in the EPUB. */
struct image {
	char		*path;		/* the file, for reading */
	char		*name;		/* its name inside the EPUB, "images/..." */
	char		*id;		/* manifest id */
	const char	*type;		/* media type */
};

/* Attached to every LINK and IMAGE node (cmark user data). */
struct link {
	enum link_kind		 kind;
	const struct doc	*doc;		/* LINK_DOC: target document */
	const char		*frag;		/* LINK_DOC: target id, or NULL */
	const struct heading	*heading;	/* LINK_DOC: that id's heading */
	const struct codeinfo	*figure;	/* LINK_DOC: that id's figure */
	const struct image	*img;		/* LINK_IMAGE */
	char			*url;		/* as written */
	char			*href;		/* EXTERNAL, KEEP: escaped */
	int			 line, col;	/* where, for messages */
	int			 image;		/* an image, not a link */
	int			 listing;	/* the index's link to a chapter */
};

/* One Markdown file: the index or a chapter. */
struct doc {
	char		*path;		/* file name used in diagnostics */
	char		*rel;		/* path relative to the index directory */
	char		*text;		/* sanitised source, front matter blanked */
	size_t		 len;
	cmark_node	*root;		/* while open (doc_open), else NULL */
	struct tree_arena *arena;	/* root's memory */
	int		 opened;	/* doc_open count */
	int		 keep;		/* the tree stays between opens */
	char		*title;		/* first level-1 heading, or fallback */
	char		*front_title;	/* a chapter's title: key */
	char		*man;		/* man page name */
	char		**aliases;
	size_t		 naliases;
	char		*description;	/* one line for NAME and the TOC */
	int		 man_line;	/* front-matter lines, for messages */
	int		 aliases_line;
	char		*date;		/* YYYY-MM-DD from front matter or NULL */
	char		*xhtml;		/* document name inside the EPUB */
	size_t		 part;		/* index into book.parts or NO_PART */
	size_t		 number;	/* 1-based place in the book, 0: index */
	int		 numbered;	/* listed in the index's lists */
	size_t		 depth;		/* list nesting in the index, 0: top */
	char		*link_text;	/* the index's link text */
	int		 line, col;	/* where the index lists it */
	struct heading	*heads;		/* in document order */
	size_t		 nheads;
	size_t		 title_head;	/* heads index of the title, or -1 */
	struct link	*links;		/* LINK and IMAGE nodes, in order */
	size_t		 nlinks;
	struct codeinfo	*blocks;	/* CODE_BLOCK nodes, in order */
	size_t		 nblocks;
	char		**anchors;	/* ids of raw HTML (<a name>, id=) */
	size_t		 nanchors;
	size_t		 tables;	/* pipe tables it holds */
	struct html	*htmls;		/* HTML_BLOCK, HTML_INLINE, in order */
	size_t		 nhtmls;
	const struct doc **see_also;	/* chapters this one links to */
	size_t		 nsee_also;
};

struct bookindex;

struct part {
	char		*title;
	char		*xhtml;		/* part page inside the EPUB */
	size_t		 first;		/* first chapter */
	size_t		 count;
};

struct book {
	int		 standalone;	/* render mode: one document, no index */
	char		*dir;		/* directory of the index */
	struct doc	 summary;
	struct doc	*chapters;
	size_t		 nchapters;
	struct part	*parts;
	size_t		 nparts;
	size_t		 source_bytes;	/* Markdown read, index included */
	int		 summary_failed;	/* the index had errors of its own */

	/* Metadata, from the index's front matter or derived. */
	char		*title;
	char		*subtitle;
	char		*language;
	char		**authors;
	size_t		 nauthors;
	char		*version;
	char		*identifier;
	char		*date;		/* YYYY-MM-DD */
	char		*manual;	/* man(7) .TH manual name */
	char		*stylesheet;	/* path relative to cwd, or NULL */
	char		*cover;		/* path relative to cwd, or NULL */
	struct image	**images;	/* in order of first use */
	size_t		 nimages;
	struct book_file *files;	/* the input files, for book_input */
	size_t		 nfiles;
	struct _xmlDoc	*html_doc;	/* raw HTML's sanitised nodes */
	time_t		 epoch;		/* SOURCE_DATE_EPOCH or now */
	char		**fm_unknown;	/* front-matter keys warned about */
	size_t		 nfm_unknown;
	char		*site;		/* site: where /paths lead, or NULL */
	char		**fm_ignore;	/* ignore-keys: not warned about */
	size_t		 nfm_ignore;
	const struct bookindex *bookindex; /* back-of-book index (borrowed), or NULL */
};

/* book_load flags */
#define BOOK_MAN	2	/* man page names must be unique */

/*
 * A walk over the chapters while the loader holds their trees: chapter()
 * is called for each, in book order, once it is parsed and scanned
 * (heading ids set, links not yet resolved), unless it could not be
 * read or parsed.  A pass over every tree costs no parse of its own
 * then, even in a book too large to keep its trees.
 */
struct book_walk {
	void		(*chapter)(void *ctx, const struct doc *);
	void		*ctx;
};

/*
 * Load the index at path and every chapter it lists; resolve heading
 * ids and links.  walk, when not NULL, sees every chapter on the way.
 * Diagnostics go to stderr; returns 0, or -1 when an error was
 * reported.  The book must be freed with book_free either way.
 */
int	book_load(struct book *, const char *path, time_t epoch, int flags,
	    const struct book_walk *walk);

/*
 * Load one Markdown document (path NULL: standard input) as a book with
 * no chapters, for render mode.
 */
int	book_load_single(struct book *, const char *path, time_t epoch);

/* The same from a buffer (len bytes, need not be NUL-terminated). */
int	book_load_buffer(struct book *, const char *name, const char *data,
	    size_t len, time_t epoch);

void	book_free(struct book *);

/*
 * The input of the book (index, chapter, stylesheet, cover, image) that
 * path is the same file as, or NULL: outputs never overwrite inputs.
 * The identities of the index, the chapters and the images are taken
 * once, at the end of book_load.
 */
const char	*book_input(const struct book *, const char *path);

/* Plain text of an inline subtree (text and code, breaks as spaces). */
void	book_node_text(cmark_node *, struct buf *);

/* Does cmark_iter give this node an ENTER event only (no EXIT)? */
int	node_is_leaf(cmark_node *);

/* The heading, link or code block annotation of a node, or NULL. */
const struct heading	*node_heading(cmark_node *);
const struct link	*node_link(cmark_node *);
const struct codeinfo	*node_code(cmark_node *);

/* The document's title: its first level-1 heading, or NULL. */
const struct heading	*doc_title(const struct doc *);

/*
 * Parse a loaded document again and attach its annotations; d->root
 * stays valid until the matching doc_close.  Calls nest.  The tree is a
 * cache: opening changes nothing a reader of the book can see.
 */
void	doc_open(const struct doc *);
void	doc_close(const struct doc *);

#endif
