/*
 * Loading a book: the index and its front matter, the chapters it
 * lists, heading ids (slugs) and the resolution of every link.  All
 * diagnostics about the input come from here, with file:line:col.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "book.h"
#include "index.h"
#include "pool.h"
#include "tree.h"

/* Where a front-matter key may appear. */
#define IN_INDEX	1
#define IN_CHAPTER	2
#define IN_BOTH		(IN_INDEX | IN_CHAPTER)

enum fm_key {
	FM_TITLE, FM_SUBTITLE, FM_LANGUAGE, FM_AUTHOR, FM_VERSION,
	FM_IDENTIFIER, FM_DATE, FM_MANUAL, FM_STYLESHEET, FM_COVER,
	FM_MAN, FM_ALIASES, FM_DESCRIPTION, FM__MAX
};

static const struct {
	const char	*name;
	int		 where;
	int		 repeat;	/* may appear more than once */
} fm_keys[FM__MAX] = {
	{ "title",	 IN_INDEX,	0 },
	{ "subtitle",	 IN_INDEX,	0 },
	{ "language",	 IN_INDEX,	0 },
	{ "author",	 IN_INDEX,	1 },
	{ "version",	 IN_INDEX,	0 },
	{ "identifier",	 IN_INDEX,	0 },
	{ "date",	 IN_BOTH,	0 },
	{ "manual",	 IN_INDEX,	0 },
	{ "stylesheet",	 IN_INDEX,	0 },
	{ "cover",	 IN_INDEX,	0 },
	{ "man",	 IN_BOTH,	0 },
	{ "aliases",	 IN_BOTH,	0 },
	{ "description", IN_BOTH,	0 },
};

struct fm_field {
	enum fm_key	 key;
	char		*value;
	int		 line;
	int		 col;		/* column of the value */
};

struct fm {
	struct fm_field	*f;
	size_t		 n;
};

/* Nesting deeper than this is refused before cmark sees it. */
#define NEST_MAX	1000

static void
fm_free(struct fm *fm)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++)
		free(fm->f[i].value);
	free(fm->f);
	fm->f = NULL;
	fm->n = 0;
}

static const struct fm_field *
fm_get(const struct fm *fm, enum fm_key key)
{
	size_t	 i;

	for (i = 0; i < fm->n; i++)
		if (fm->f[i].key == key)
			return &fm->f[i];
	return NULL;
}

/* Is this line (len bytes, no newline) a front-matter delimiter? */
static int
fm_delim(const char *s, size_t len, int closing)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r'))
		len--;
	if (len == 3 && memcmp(s, "---", 3) == 0)
		return 1;
	return closing && len == 3 && memcmp(s, "...", 3) == 0;
}

/*
 * Parse "key: value" lines between --- delimiters at the top of text,
 * then blank them (spaces, newlines kept) so that cmark's line numbers
 * stay those of the file.  where says which keys are allowed.
 */
static int
fm_parse(const char *path, char *text, int where, struct fm *fm)
{
	char	*line, *end, *eol, *colon, *key, *val;
	size_t	 k, i;
	int	 lineno = 1, rc = 0, vcol;

	eol = strchr(text, '\n');
	if (!fm_delim(text, eol ? (size_t)(eol - text) : strlen(text), 0))
		return 0;
	if (eol == NULL) {
		diag_error(path, 1, 1, "front matter is not closed by '---'");
		return -1;
	}
	for (end = eol + 1; ; end = eol + 1) {
		eol = strchr(end, '\n');
		if (fm_delim(end, eol ? (size_t)(eol - end) : strlen(end), 1))
			break;
		if (eol == NULL) {
			diag_error(path, 1, 1,
			    "front matter is not closed by '---'");
			return -1;
		}
	}
	end = eol ? eol : end + strlen(end);	/* end of closing line */

	for (line = strchr(text, '\n') + 1; line < end; line = eol + 1) {
		lineno++;
		eol = strchr(line, '\n');
		if (eol == NULL || eol >= end)
			break;
		*eol = '\0';
		key = line;
		while (*key == ' ' || *key == '\t')
			key++;
		if (*key == '\0' || *key == '\r' || *key == '#') {
			*eol = '\n';
			continue;
		}
		colon = key;
		while (*colon == '-' || *colon == '_' ||
		    isalnum((unsigned char)*colon))
			colon++;
		if (colon == key || *colon != ':') {
			diag_error(path, lineno, (int)(colon - line) + 1,
			    "cannot read front-matter line: expected "
			    "'key: value'");
			*eol = '\n';
			rc = -1;
			continue;
		}
		*colon = '\0';
		for (k = 0; k < FM__MAX; k++)
			if (strcmp(fm_keys[k].name, key) == 0)
				break;
		val = colon + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		vcol = (int)(val - line) + 1;
		if (k == FM__MAX || !(fm_keys[k].where & where)) {
			diag_error(path, lineno, (int)(key - line) + 1,
			    "unknown front-matter key '%s'", key);
			rc = -1;
		} else if (!fm_keys[k].repeat && fm_get(fm, (enum fm_key)k)) {
			diag_error(path, lineno, (int)(key - line) + 1,
			    "front-matter key '%s' given twice", key);
			rc = -1;
		} else {
			val = str_trim(val);
			i = strlen(val);
			if (i >= 2 && (val[0] == '"' || val[0] == '\'') &&
			    val[i - 1] == val[0]) {
				val[i - 1] = '\0';
				val++;
				vcol++;
			}
			if (*val == '\0') {
				diag_error(path, lineno, vcol,
				    "front-matter key '%s' has no value",
				    key);
				rc = -1;
			} else {
				fm->f = xreallocarray(fm->f, fm->n + 1,
				    sizeof(*fm->f));
				fm->f[fm->n].key = (enum fm_key)k;
				fm->f[fm->n].value = xstrdup(val);
				fm->f[fm->n].line = lineno;
				fm->f[fm->n].col = vcol;
				fm->n++;
			}
		}
		*colon = ':';
		*eol = '\n';
	}
	/* Blank the whole block, delimiters included. */
	for (line = text; line < end; line++)
		if (*line != '\n')
			*line = ' ';
	return rc;
}

/* Validators for front-matter values: 0 when good. */

static int
check_date(const char *s)
{
	int	 y, m, d, i;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' :
		    !isdigit((unsigned char)s[i]))
			return -1;
	if (s[10] != '\0')
		return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	return 0;
}

/* BCP 47, syntactically: a 2-8 letter primary subtag, then subtags. */
static int
check_language(const char *s)
{
	size_t	 n = 0;
	int	 first = 1;

	for (;; s++) {
		if (*s == '-' || *s == '\0') {
			if (n < (first ? 2u : 1u) || n > 8)
				return -1;
			if (*s == '\0')
				return 0;
			first = 0;
			n = 0;
		} else if (first ? isalpha((unsigned char)*s) :
		    isalnum((unsigned char)*s))
			n++;
		else
			return -1;
	}
}

static int
check_man(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return -1;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._+-", *s) == NULL)
			return -1;
	return 0;
}

static int
check_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			return -1;
	return 0;
}

/* Split "a, b , c" into trimmed words (caller frees each and *out). */
static void
split_list(const char *s, char ***out, size_t *n)
{
	char	*copy, *word, *next;

	copy = xstrdup(s);
	for (word = copy; word != NULL; word = next) {
		if ((next = strchr(word, ',')) != NULL)
			*next++ = '\0';
		word = str_trim(word);
		if (*word == '\0')
			continue;
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = xstrdup(word);
	}
	free(copy);
}

/*
 * Apply a document's front matter: the fields shared by chapters and
 * the index go to the doc, the book fields (index only) to the book.
 */
static int
fm_apply(struct book *b, struct doc *d, const struct fm *fm)
{
	const struct fm_field	*f;
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < fm->n; i++) {
		f = &fm->f[i];
		if (check_line(f->value) == -1) {
			diag_error(d->path, f->line, f->col,
			    "control character in '%s'", fm_keys[f->key].name);
			rc = -1;
			continue;
		}
		switch (f->key) {
		case FM_TITLE:
			b->title = xstrdup(f->value);
			break;
		case FM_SUBTITLE:
			b->subtitle = xstrdup(f->value);
			break;
		case FM_LANGUAGE:
			if (check_language(f->value) == -1) {
				diag_error(d->path, f->line, f->col,
				    "language '%s' is not a BCP 47 tag",
				    f->value);
				rc = -1;
			} else
				b->language = xstrdup(f->value);
			break;
		case FM_AUTHOR:
			b->authors = xreallocarray(b->authors,
			    b->nauthors + 1, sizeof(*b->authors));
			b->authors[b->nauthors++] = xstrdup(f->value);
			break;
		case FM_VERSION:
			b->version = xstrdup(f->value);
			break;
		case FM_IDENTIFIER:
			b->identifier = xstrdup(f->value);
			break;
		case FM_MANUAL:
			b->manual = xstrdup(f->value);
			break;
		case FM_STYLESHEET:
			b->stylesheet = path_join(b->dir, f->value);
			break;
		case FM_COVER:
			b->cover = path_join(b->dir, f->value);
			break;
		case FM_DATE:
			if (check_date(f->value) == -1) {
				diag_error(d->path, f->line, f->col,
				    "date '%s' is not YYYY-MM-DD", f->value);
				rc = -1;
			} else
				d->date = xstrdup(f->value);
			break;
		case FM_MAN:
			d->man_line = f->line;
			if (check_man(f->value) == -1) {
				diag_error(d->path, f->line, f->col,
				    "'%s' is not a valid man page name",
				    f->value);
				rc = -1;
			} else
				d->man = xstrdup(f->value);
			break;
		case FM_ALIASES:
			d->aliases_line = f->line;
			split_list(f->value, &d->aliases, &d->naliases);
			for (size_t j = 0; j < d->naliases; j++)
				if (check_man(d->aliases[j]) == -1) {
					diag_error(d->path, f->line, f->col,
					    "'%s' is not a valid man page "
					    "name", d->aliases[j]);
					rc = -1;
				}
			break;
		case FM_DESCRIPTION:
			d->description = xstrdup(f->value);
			break;
		case FM__MAX:
			abort();
		}
	}
	return rc;
}

void
book_node_text(cmark_node *root, struct buf *out)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;

	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		n = cmark_iter_get_node(it);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			buf_puts(out, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			buf_putc(out, ' ');
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

int
node_is_leaf(cmark_node *n)
{
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_HTML_BLOCK:
	case CMARK_NODE_THEMATIC_BREAK:
	case CMARK_NODE_CODE_BLOCK:
	case CMARK_NODE_TEXT:
	case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK:
	case CMARK_NODE_CODE:
	case CMARK_NODE_HTML_INLINE:
		return 1;
	default:
		return 0;
	}
}

const struct heading *
node_heading(cmark_node *n)
{
	if (cmark_node_get_type(n) != CMARK_NODE_HEADING)
		return NULL;
	return cmark_node_get_user_data(n);
}

const struct link *
node_link(cmark_node *n)
{
	cmark_node_type	 t = cmark_node_get_type(n);

	if (t != CMARK_NODE_LINK && t != CMARK_NODE_IMAGE)
		return NULL;
	return cmark_node_get_user_data(n);
}

const struct codeinfo *
node_code(cmark_node *n)
{
	if (cmark_node_get_type(n) != CMARK_NODE_CODE_BLOCK)
		return NULL;
	return cmark_node_get_user_data(n);
}

const struct heading *
doc_title(const struct doc *d)
{
	return d->title_head == (size_t)-1 ? NULL : &d->heads[d->title_head];
}

static int
is_link(cmark_node *n)
{
	cmark_node_type	 t = cmark_node_get_type(n);

	return t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE;
}

/*
 * Attach the annotations to a freshly parsed tree: the k-th heading and
 * the k-th link or image get heads[k] and links[k].  The same text
 * parses to the same tree, so the order matches the first parse.
 */
static void
doc_attach(struct doc *d)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;
	size_t			 h = 0, l = 0, c = 0;

	it = cmark_iter_new(d->root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (cmark_node_get_type(n) == CMARK_NODE_HEADING &&
		    h < d->nheads)
			cmark_node_set_user_data(n, &d->heads[h++]);
		else if (is_link(n) && l < d->nlinks)
			cmark_node_set_user_data(n, &d->links[l++]);
		else if (cmark_node_get_type(n) == CMARK_NODE_CODE_BLOCK &&
		    c < d->nblocks)
			cmark_node_set_user_data(n, &d->blocks[c++]);
	}
	cmark_iter_free(it);
}

static void
parse(struct doc *d)
{
	d->root = tree_parse(d->text, d->len, &d->arena);
}

static void
unparse(struct doc *d)
{
	tree_free(d->root, d->arena);
	d->root = NULL;
	d->arena = NULL;
}

void
doc_open(const struct doc *cd)
{
	struct doc	*d = (struct doc *)cd;	/* the tree is a cache */

	if (d->opened++ == 0 && d->root == NULL) {
		parse(d);
		doc_attach(d);
	}
}

void
doc_close(const struct doc *cd)
{
	struct doc	*d = (struct doc *)cd;

	if (d->opened > 0 && --d->opened == 0 && d->root != NULL &&
	    !d->keep) {
		unparse(d);
	}
}

/*
 * The slug of a heading, GitHub style: ASCII letters lowered, letters,
 * digits, '-', '_' and every non-ASCII character kept, spaces turned
 * into '-', everything else dropped.  Caller frees.
 */
static char *
slugify(const char *text)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*s;

	for (s = text; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80 || isalnum(c) || c == '_' || c == '-')
			buf_putc(&b, tolower(c));
		else if (c == ' ')
			buf_putc(&b, '-');
	}
	if (b.len == 0)
		BUF_LIT(&b, "section");
	return buf_take(&b);
}

static int
id_taken(const struct doc *d, const char *id)
{
	size_t	 i;

	for (i = 0; i < d->nheads; i++)
		if (strcmp(d->heads[i].id, id) == 0)
			return 1;
	return 0;
}




/* A new heading of d, with a unique GitHub-style id. */
static void
add_heading(struct doc *d, cmark_node *n, size_t *cap, struct buf *text)
{
	struct heading	*h;
	char		*base, *id;
	size_t		 k;

	buf_reset(text);
	book_node_text(n, text);
	buf_puts(text, "");
	base = slugify(str_trim(text->ptr));
	id = xstrdup(base);
	for (k = 1; id_taken(d, id); k++) {
		free(id);
		id = xasprintf("%s-%zu", base, k);
	}
	free(base);
	if (d->nheads == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		d->heads = xreallocarray(d->heads, *cap, sizeof(*d->heads));
	}
	h = &d->heads[d->nheads++];
	h->level = cmark_node_get_heading_level(n);
	h->id = id;
	h->text = xstrdup(str_trim(text->ptr));
}

/* A new link of d, recorded as written; resolved once all are loaded. */
static void
add_link(struct doc *d, cmark_node *n, size_t *cap)
{
	struct link	*l;
	const char	*url = cmark_node_get_url(n);

	if (d->nlinks == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		d->links = xreallocarray(d->links, *cap, sizeof(*d->links));
	}
	l = &d->links[d->nlinks++];
	memset(l, 0, sizeof(*l));
	l->kind = LINK_DROP;
	l->url = xstrdup(url ? url : "");
	l->line = cmark_node_get_start_line(n);
	l->col = cmark_node_get_start_column(n);
	l->image = cmark_node_get_type(n) == CMARK_NODE_IMAGE;
}

/* The verdict on a new code block of d. */
static int
add_block(struct doc *d, cmark_node *n, size_t *cap)
{
	if (d->nblocks == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		d->blocks = xreallocarray(d->blocks, *cap, sizeof(*d->blocks));
	}
	return codeinfo_parse(d->path, d->text, n,
	    &d->blocks[d->nblocks++]);
}

/*
 * One walk over a fresh tree: refuse nesting deeper than NEST_MAX
 * (hostile input, and every consumer downstream has limits of its own),
 * give every heading its id, record every link, find the title.
 */
static int
doc_scan(struct doc *d)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;
	struct buf		 text = { NULL, 0, 0 };
	size_t			 hcap = 0, lcap = 0, bcap = 0, k;
	int			 depth = 0, rc = 0;

	it = cmark_iter_new(d->root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_EXIT) {
			depth--;
			continue;
		}
		if (!node_is_leaf(n) && ++depth > NEST_MAX) {
			diag_error(d->path, cmark_node_get_start_line(n),
			    cmark_node_get_start_column(n), "nesting deeper "
			    "than %d levels", NEST_MAX);
			rc = -1;
			break;
		}
		if (cmark_node_get_type(n) == CMARK_NODE_HEADING)
			add_heading(d, n, &hcap, &text);
		else if (is_link(n))
			add_link(d, n, &lcap);
		else if (cmark_node_get_type(n) == CMARK_NODE_CODE_BLOCK &&
		    add_block(d, n, &bcap) == -1)
			rc = -1;
	}
	cmark_iter_free(it);
	buf_free(&text);
	if (codeinfo_check(d->path, d->root, d->blocks, d->nblocks,
	    d->number) == -1)
		rc = -1;
	d->title_head = (size_t)-1;
	for (k = 0; k < d->nheads; k++)
		if (d->heads[k].level == 1) {
			d->title_head = k;
			break;
		}
	for (k = 0; k < d->nheads; k++)
		if (d->heads[k].level == 1 && d->heads[k].text[0] != '\0') {
			d->title = xstrdup(d->heads[k].text);
			break;
		}
	return rc;
}

/*
 * Read and sanitise one Markdown file into d and apply its front matter;
 * where selects the allowed keys.  raw and rawlen, when raw is not NULL,
 * are used instead of reading the file (standard input in render mode).
 * On a file that cannot be read, d->text stays NULL.
 */
static int
doc_read(struct book *b, struct doc *d, const char *raw, size_t rawlen,
    int where)
{
	struct fm	 fm = { NULL, 0 };
	char		*data = NULL;
	int		 rc = 0;

	if (raw == NULL) {
		if (file_read(d->path, &data, &rawlen) == -1)
			return -1;
		raw = data;
	}
	d->text = utf8_sanitize(d->path, raw, rawlen, &d->len);
	free(data);
	if (fm_parse(d->path, d->text, where, &fm) == -1)
		rc = -1;
	if (fm_apply(b, d, &fm) == -1)
		rc = -1;
	fm_free(&fm);
	return rc;
}

/* After the parse: headings, links and the index's terms. */
static int
doc_finish(struct book *b, struct doc *d)
{
	if (d->root == NULL)
		return d->text == NULL ? -1 : 0;
	if (doc_scan(d) == -1)
		return -1;
	doc_attach(d);
	if (b->ixc != NULL && d->number > 0)
		index_collect(b->ixc, d);
	return 0;
}

static int
doc_load(struct book *b, struct doc *d, const char *raw, size_t rawlen,
    int where)
{
	int	 rc;

	rc = doc_read(b, d, raw, rawlen, where);
	if (d->text != NULL)
		parse(d);
	if (doc_finish(b, d) == -1)
		rc = -1;
	return rc;
}

/* Pool job: parse chapter k of the window (cmark keeps no shared state). */
static void
parse_job(void *arg, size_t k)
{
	struct doc	*d = (struct doc *)arg + k;

	if (d->text != NULL)
		parse(d);
}

/*
 * Trees of a book up to this many bytes of Markdown stay in memory from
 * the first parse (about six times their source); a larger book keeps
 * only its text and parses each chapter again when a back end opens it,
 * so its memory stays a small multiple of its size.
 */
#define KEEP_TREES_MAX	((size_t)4 * 1024 * 1024)

/* After the first parse: keep the tree, or free it until doc_open. */
static void
doc_unload(const struct book *b, struct doc *d)
{
	if (b->source_bytes <= KEEP_TREES_MAX) {
		d->keep = 1;
		return;
	}
	if (d->root != NULL && d->opened == 0) {
		unparse(d);
	}
}

static void
doc_free(struct doc *d)
{
	size_t	 i;

	free(d->path);
	free(d->rel);
	free(d->text);
	unparse(d);
	free(d->title);
	free(d->man);
	for (i = 0; i < d->naliases; i++)
		free(d->aliases[i]);
	free(d->aliases);
	free(d->description);
	free(d->date);
	free(d->xhtml);
	for (i = 0; i < d->nheads; i++) {
		free(d->heads[i].id);
		free(d->heads[i].text);
	}
	free(d->heads);
	for (i = 0; i < d->nlinks; i++)
		free(d->links[i].url);
	free(d->links);
	for (i = 0; i < d->nblocks; i++)
		codeinfo_free(&d->blocks[i]);
	free(d->blocks);
	free(d->see_also);
}

void
book_free(struct book *b)
{
	size_t	 i;

	doc_free(&b->index);
	for (i = 0; i < b->nchapters; i++)
		doc_free(&b->chapters[i]);
	free(b->chapters);
	for (i = 0; i < b->nparts; i++) {
		free(b->parts[i].title);
		free(b->parts[i].xhtml);
	}
	free(b->parts);
	free(b->dir);
	free(b->title);
	free(b->subtitle);
	free(b->language);
	for (i = 0; i < b->nauthors; i++)
		free(b->authors[i]);
	free(b->authors);
	free(b->version);
	free(b->identifier);
	free(b->date);
	free(b->manual);
	free(b->stylesheet);
	free(b->cover);
	if (b->ixc != NULL)
		index_collect_free(b->ixc);
	if (b->ix != NULL) {
		index_free(b->ix);
		free(b->ix);
	}
	memset(b, 0, sizeof(*b));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode %XX escapes; caller frees.  Invalid escapes stay as written. */
static char *
pct_decode(const char *s, size_t n)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i;
	int		 h, l;

	buf_grow(&b, n);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0 &&
		    (h || l)) {
			buf_putc(&b, h * 16 + l);
			i += 2;
		} else
			buf_putc(&b, s[i]);
	}
	if (b.len == 0)
		b.ptr[0] = '\0';
	return buf_take(&b);
}

/*
 * Normalise a relative path joined to a base directory ("" for the top):
 * drop "." and empty segments, apply "..".  Returns NULL when the path
 * climbs out of the top.  Caller frees.
 */
static char *
path_normalize(const char *base, const char *rel)
{
	struct buf	 b = { NULL, 0, 0 };
	char		*joined, *seg, *next;
	char		**segs = NULL;
	size_t		 n = 0, i;
	int		 bad = 0;

	if (*base == '\0' || strcmp(base, ".") == 0)
		joined = xstrdup(rel);
	else
		joined = xasprintf("%s/%s", base, rel);
	segs = xreallocarray(NULL, strlen(joined) + 1, sizeof(*segs));
	for (seg = joined; seg != NULL; seg = next) {
		if ((next = strchr(seg, '/')) != NULL)
			*next++ = '\0';
		if (*seg == '\0' || strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			if (n == 0) {
				bad = 1;
				break;
			}
			n--;
			continue;
		}
		segs[n++] = seg;
	}
	for (i = 0; !bad && i < n; i++) {
		if (i)
			buf_putc(&b, '/');
		buf_puts(&b, segs[i]);
	}
	free(segs);
	free(joined);
	if (bad || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* Does url start with a scheme ("http:")?  Sets *len to its length. */
static int
url_scheme(const char *url, size_t *len)
{
	const char	*s = url;

	if (!isalpha((unsigned char)*s))
		return 0;
	while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' ||
	    *s == '.')
		s++;
	if (*s != ':')
		return 0;
	*len = (size_t)(s - url);
	return 1;
}

static int
scheme_safe(const char *url, size_t len)
{
	static const char *const safe[] = { "http", "https", "mailto",
	    "ftp", NULL };
	size_t	 i;

	for (i = 0; safe[i] != NULL; i++)
		if (strlen(safe[i]) == len &&
		    strncasecmp(url, safe[i], len) == 0)
			return 1;
	return 0;
}

static const struct heading *
doc_find_id(const struct doc *d, const char *id)
{
	size_t	 i;

	for (i = 0; i < d->nheads; i++)
		if (strcmp(d->heads[i].id, id) == 0)
			return &d->heads[i];
	return NULL;
}

/* The document at rel (normalised, relative to the index), or NULL. */
static struct doc *
book_find_doc(struct book *b, const char *rel)
{
	size_t	 i;

	if (b->index.rel != NULL && strcmp(b->index.rel, rel) == 0)
		return &b->index;
	for (i = 0; i < b->nchapters; i++)
		if (strcmp(b->chapters[i].rel, rel) == 0)
			return &b->chapters[i];
	return NULL;
}

static void
see_also_add(struct doc *from, const struct doc *to)
{
	size_t	 i;

	if (to == from || to->number == 0)
		return;
	for (i = 0; i < from->nsee_also; i++)
		if (from->see_also[i] == to)
			return;
	from->see_also = xreallocarray(from->see_also, from->nsee_also + 1,
	    sizeof(*from->see_also));
	from->see_also[from->nsee_also++] = to;
}

/* Resolve one link or image node of document d. */
static void
resolve_link(struct book *b, struct doc *d, struct link *l)
{
	const char	*url = l->url, *hash;
	char		*dir, *path, *rel, *frag;
	size_t		 slen, plen;
	int		 line = l->line, col = l->col, image = l->image;

	if (*url == '\0')
		return;
	if (url_scheme(url, &slen)) {
		if (scheme_safe(url, slen) && !image)
			l->kind = LINK_EXTERNAL;
		else if (image)
			diag_warn(d->path, line, col, "remote image '%s' "
			    "not included; its description is shown", url);
		else
			diag_warn(d->path, line, col, "unsafe URL '%.*s:...' "
			    "dropped", (int)slen, url);
		return;
	}
	if (url[0] == '/' || (url[0] == '\\')) {
		if (b->standalone)
			l->kind = LINK_KEEP;
		else
			diag_warn(d->path, line, col, "link target '%s' is "
			    "an absolute path outside the book", url);
		return;
	}
	if (image) {
		/* Local images are not packaged: alt text stands in. */
		diag_warn(d->path, line, col, "image '%s' not included; its "
		    "description is shown", url);
		return;
	}

	hash = strchr(url, '#');
	plen = hash ? (size_t)(hash - url) : strlen(url);
	frag = hash ? pct_decode(hash + 1, strlen(hash + 1)) : NULL;
	if (plen == 0) {
		/* "#id": this document. */
		if ((l->heading = doc_find_id(d, frag)) != NULL) {
			l->kind = LINK_DOC;
			l->doc = d;
		} else
			diag_warn(d->path, line, col, "link target '#%s' not "
			    "found in this document", frag);
		free(frag);
		return;
	}
	if (b->standalone) {
		l->kind = LINK_KEEP;
		free(frag);
		return;
	}
	path = pct_decode(url, strcspn(url, "?#"));
	dir = path_dir(d->rel);
	rel = path_normalize(dir, path);
	if (rel == NULL) {
		diag_warn(d->path, line, col, "link target '%s' is outside "
		    "the book", path);
	} else if ((l->doc = book_find_doc(b, rel)) == NULL) {
		diag_warn(d->path, line, col, "link target '%s' not found "
		    "in the book", path);
	} else if (frag != NULL && *frag != '\0' &&
	    (l->heading = doc_find_id(l->doc, frag)) == NULL) {
		diag_warn(d->path, line, col, "link target '%s#%s' not "
		    "found: no such heading", path, frag);
		l->doc = NULL;
	} else {
		l->kind = LINK_DOC;
		see_also_add(d, l->doc);
	}
	free(rel);
	free(dir);
	free(path);
	free(frag);
}

static void
doc_resolve(struct book *b, struct doc *d)
{
	size_t	 i;

	for (i = 0; i < d->nlinks; i++)
		resolve_link(b, d, &d->links[i]);
}

/* The first link in the first paragraph of a list item, or NULL. */
static cmark_node *
item_link(cmark_node *item)
{
	cmark_node	*p, *n;

	p = cmark_node_first_child(item);
	if (p == NULL || cmark_node_get_type(p) != CMARK_NODE_PARAGRAPH)
		return NULL;
	for (n = cmark_node_first_child(p); n; n = cmark_node_next(n))
		if (cmark_node_get_type(n) == CMARK_NODE_LINK)
			return n;
	return NULL;
}

/* Names guidebook gives its own documents, and their prefixes. */
static int
reserved_name(const char *base, size_t n)
{
	static const char *const fixed[] = { "contents", "title", "nav",
	    "cover", "index", NULL };
	size_t	 i;

	for (i = 0; fixed[i] != NULL; i++)
		if (strlen(fixed[i]) == n && strncmp(base, fixed[i], n) == 0)
			return 1;
	return strncmp(base, "part", n < 4 ? n : 4) == 0 ||
	    strncmp(base, "ch", n < 2 ? n : 2) == 0;
}

/*
 * A name for the chapter's XHTML document: its base name when that is
 * plain ASCII and free, else chNNN.xhtml.  Caller frees.
 */
static char *
xhtml_name(const struct book *b, const char *rel, size_t number)
{
	const char	*base, *s;
	char		*name;
	size_t		 i, n;

	base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".md") == 0)
		n -= 3;
	for (s = base; s < base + n; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s)
		    && *s != '-' && *s != '_')
			break;
	if (n == 0 || n > 64 || s < base + n || reserved_name(base, n))
		return xasprintf("ch%03zu.xhtml", number);
	name = xasprintf("%.*s.xhtml", (int)n, base);
	for (i = 0; i + 1 < number; i++)
		if (strcmp(b->chapters[i].xhtml, name) == 0) {
			free(name);
			return xasprintf("ch%03zu.xhtml", number);
		}
	return name;
}

/* Is the real path of file inside the real directory dir? */
static int
inside_dir(const char *dir, const char *file)
{
	char	*rd, *rf;
	size_t	 n;
	int	 ok = 0;

	rd = realpath(dir, NULL);
	rf = realpath(file, NULL);
	if (rd != NULL && rf != NULL) {
		n = strlen(rd);
		ok = strncmp(rd, rf, n) == 0 &&
		    (rf[n] == '/' || strcmp(rd, "/") == 0);
	}
	free(rd);
	free(rf);
	return ok;
}

/* Add the chapter linked from index item link n.  0 or -1. */
static int
add_chapter(struct book *b, cmark_node *n, const char *part, size_t *cap)
{
	struct doc	*d;
	const char	*url = cmark_node_get_url(n);
	char		*path, *rel, *file;
	int		 line, col;
	struct stat	 st;

	line = cmark_node_get_start_line(n);
	col = cmark_node_get_start_column(n);
	path = pct_decode(url, strcspn(url, "?#"));
	rel = path_normalize("", path);
	if (rel == NULL || path[0] == '/') {
		diag_error(b->index.path, line, col, "chapter '%s' is outside "
		    "the book", path);
		free(path);
		free(rel);
		return -1;
	}
	if (strcmp(rel, b->index.rel) == 0) {
		diag_error(b->index.path, line, col, "the index lists itself "
		    "as a chapter");
		goto fail;
	}
	if (book_find_doc(b, rel) != NULL) {
		diag_error(b->index.path, line, col, "chapter '%s' is listed "
		    "twice", path);
		goto fail;
	}
	file = path_join(b->dir, rel);
	if (stat(file, &st) == -1) {
		diag_error(b->index.path, line, col, "chapter '%s' not found: "
		    "%s", path, strerror(errno));
		free(file);
		goto fail;
	}
	if (!inside_dir(b->dir, file)) {
		diag_error(b->index.path, line, col, "chapter '%s' resolves "
		    "outside the book", path);
		free(file);
		goto fail;
	}

	if (b->nchapters == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		b->chapters = xreallocarray(b->chapters, *cap,
		    sizeof(*b->chapters));
	}
	d = &b->chapters[b->nchapters++];
	memset(d, 0, sizeof(*d));
	d->path = file;
	d->rel = rel;
	b->source_bytes += (size_t)st.st_size;
	d->number = b->nchapters;
	d->part = NO_PART;
	d->xhtml = xhtml_name(b, rel, d->number);
	if (part != NULL) {
		if (b->nparts == 0 ||
		    b->parts[b->nparts - 1].first + b->parts[b->nparts - 1].count
		    != d->number - 1 ||
		    strcmp(b->parts[b->nparts - 1].title, part) != 0) {
			b->parts = xreallocarray(b->parts, b->nparts + 1,
			    sizeof(*b->parts));
			b->parts[b->nparts].title = xstrdup(part);
			b->parts[b->nparts].xhtml = xasprintf("part%02zu.xhtml",
			    b->nparts + 1);
			b->parts[b->nparts].first = d->number - 1;
			b->parts[b->nparts].count = 0;
			b->nparts++;
		}
		b->parts[b->nparts - 1].count++;
		d->part = b->nparts - 1;
	}
	free(path);
	return 0;
fail:
	free(path);
	free(rel);
	return -1;
}

/* Walk the index: headings open parts, list item links are chapters. */
static int
index_chapters(struct book *b)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n, *link;
	const struct heading	*title;
	struct buf		 part = { NULL, 0, 0 };
	size_t			 cap = 0;
	int			 rc = 0, inpart = 0;
	const char		*ptitle = NULL;
	const char		*url;
	size_t			 slen;

	title = doc_title(&b->index);
	it = cmark_iter_new(b->index.root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_HEADING:
			if (node_heading(n) == title)
				break;
			buf_reset(&part);
			book_node_text(n, &part);
			buf_puts(&part, "");	/* never NULL, even if empty */
			ptitle = str_trim(part.ptr);
			inpart = *ptitle != '\0';	/* empty: no part */
			break;
		case CMARK_NODE_ITEM:
			if ((link = item_link(n)) == NULL)
				break;
			url = cmark_node_get_url(link);
			if (url == NULL || *url == '\0' || *url == '#' ||
			    url_scheme(url, &slen))
				break;
			if (add_chapter(b, link, inpart ? ptitle : NULL,
			    &cap) == -1)
				rc = -1;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	buf_free(&part);
	return rc;
}

/* Man page names must be unique across the book, aliases included. */
static int
check_names(struct book *b)
{
	const char	**names = NULL;
	size_t		  n = 0, i, j, k;
	int		  rc = 0;
	struct doc	 *d;

	for (i = 0; i <= b->nchapters; i++) {
		d = i == 0 ? &b->index : &b->chapters[i - 1];
		names = xreallocarray(names, n + 1 + d->naliases,
		    sizeof(*names));
		for (k = 0; k <= d->naliases; k++) {
			const char *name = k == 0 ? d->man : d->aliases[k - 1];

			for (j = 0; j < n; j++)
				if (strcmp(names[j], name) == 0)
					break;
			if (j < n) {
				diag_error(d->path, k == 0 ? d->man_line :
				    d->aliases_line, 0, "man page name '%s' "
				    "is used twice in the book", name);
				rc = -1;
			}
			names[n++] = name;
		}
	}
	free(names);
	return rc;
}

/* Fill in what the front matter left out. */
static void
book_defaults(struct book *b)
{
	struct tm	 tm;
	struct doc	*d;
	char		 date[32];
	size_t		 i;

	if (b->title == NULL)
		b->title = xstrdup(b->index.title ? b->index.title :
		    "Untitled");
	if (b->language == NULL)
		b->language = xstrdup("en");
	if (b->index.man == NULL) {
		char *slug = slugify(b->title);
		b->index.man = check_man(slug) == 0 ? slug : xstrdup("book");
		if (b->index.man != slug)
			free(slug);
	}
	if (b->index.description == NULL)
		b->index.description = xstrdup(b->subtitle ? b->subtitle :
		    b->title);
	if (b->index.title == NULL)
		b->index.title = xstrdup(b->title);
	if (b->manual == NULL)
		b->manual = xasprintf("%s Manual", b->title);
	if (b->index.date != NULL)
		b->date = xstrdup(b->index.date);
	else {
		gmtime_r(&b->epoch, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		b->date = xstrdup(date);
	}
	b->index.xhtml = xstrdup("contents.xhtml");
	for (i = 0; i < b->nchapters; i++) {
		d = &b->chapters[i];
		if (d->title == NULL) {
			const char *base = strrchr(d->rel, '/');
			d->title = xstrdup(base ? base + 1 : d->rel);
		}
		if (d->man == NULL) {
			char *base = xstrdup(strrchr(d->rel, '/') ?
			    strrchr(d->rel, '/') + 1 : d->rel);
			char *dot = strrchr(base, '.');
			if (dot != NULL && dot != base)
				*dot = '\0';
			d->man = xasprintf("%s-%s", b->index.man, base);
			if (check_man(d->man) == -1) {
				free(d->man);
				d->man = xasprintf("%s-%zu", b->index.man,
				    d->number);
			}
			free(base);
		}
		if (d->description == NULL)
			d->description = xstrdup(d->title);
	}
}

/*
 * The chapters, a window at a time: read in order, parsed on the pool
 * (the heaviest first), then scanned in order, so that messages keep
 * their order.  A book small enough to keep its trees is one window;
 * a larger one has windows of about LOAD_WINDOW bytes, so that only
 * their trees are in memory at once.
 */
#define LOAD_WINDOW	((size_t)1024 * 1024)

static int
load_chapters(struct book *b)
{
	size_t	*weight, *order;
	size_t	 i, j, k, bytes, max;
	int	 rc = 0;

	max = b->source_bytes <= KEEP_TREES_MAX ? (size_t)-1 : LOAD_WINDOW;
	weight = xcalloc(b->nchapters, sizeof(*weight));
	for (i = 0; i < b->nchapters; i = j) {
		for (j = i, bytes = 0; j < b->nchapters && (j == i ||
		    bytes < max); j++) {
			if (doc_read(b, &b->chapters[j], NULL, 0,
			    IN_CHAPTER) == -1)
				rc = -1;
			bytes += b->chapters[j].len;
			weight[j - i] = b->chapters[j].len;
		}
		order = pool_order(weight, j - i);
		pool_run(j - i, order, parse_job, &b->chapters[i]);
		free(order);
		for (k = i; k < j; k++) {
			if (doc_finish(b, &b->chapters[k]) == -1)
				rc = -1;
			doc_unload(b, &b->chapters[k]);
		}
	}
	free(weight);
	return rc;
}

int
book_load(struct book *b, const char *path, time_t epoch, int flags)
{
	const char	*base;
	size_t		 i;
	int		 rc = 0;

	memset(b, 0, sizeof(*b));
	b->epoch = epoch;
	if (flags & BOOK_INDEX)
		b->ixc = index_collect_new();
	b->dir = path_dir(path);
	base = strrchr(path, '/');
	b->index.path = xstrdup(path);
	b->index.rel = xstrdup(base ? base + 1 : path);
	b->index.part = NO_PART;
	if (doc_load(b, &b->index, NULL, 0, IN_INDEX | IN_CHAPTER) == -1)
		rc = -1;
	b->source_bytes = b->index.len;
	if (index_chapters(b) == -1)
		rc = -1;
	doc_unload(b, &b->index);
	if (load_chapters(b) == -1)
		rc = -1;
	if (rc == -1)
		return -1;
	book_defaults(b);
	if (check_names(b) == -1)
		return -1;
	doc_resolve(b, &b->index);
	for (i = 0; i < b->nchapters; i++)
		doc_resolve(b, &b->chapters[i]);
	return diag_errors ? -1 : 0;
}

int
book_load_buffer(struct book *b, const char *name, const char *data,
    size_t len, time_t epoch)
{
	memset(b, 0, sizeof(*b));
	b->standalone = 1;
	b->epoch = epoch;
	b->dir = xstrdup(".");
	b->index.path = xstrdup(name);
	b->index.part = NO_PART;
	if (doc_load(b, &b->index, data, len, IN_BOTH) == -1)
		return -1;
	b->source_bytes = len;
	doc_unload(b, &b->index);
	book_defaults(b);
	doc_resolve(b, &b->index);
	return diag_errors ? -1 : 0;
}

int
book_load_single(struct book *b, const char *path, time_t epoch)
{
	struct buf	 in = { NULL, 0, 0 };
	char		 chunk[65536];
	size_t		 n;
	int		 rc;

	if (path == NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
			buf_put(&in, chunk, n);
			if (in.len > FILE_MAX) {
				memset(b, 0, sizeof(*b));
				diag_error("<stdin>", 0, 0, "input larger than "
				    "%zu MB", (size_t)FILE_MAX >> 20);
				buf_free(&in);
				return -1;
			}
		}
		if (ferror(stdin)) {
			memset(b, 0, sizeof(*b));
			diag_error("<stdin>", 0, 0, "cannot read: %s",
			    strerror(errno));
			buf_free(&in);
			return -1;
		}
		rc = book_load_buffer(b, "<stdin>", in.ptr ? in.ptr : "",
		    in.len, epoch);
		buf_free(&in);
		return rc;
	}
	memset(b, 0, sizeof(*b));
	b->standalone = 1;
	b->epoch = epoch;
	b->dir = path_dir(path);
	b->index.path = xstrdup(path);
	b->index.part = NO_PART;
	if (doc_load(b, &b->index, NULL, 0, IN_BOTH) == -1)
		return -1;
	b->source_bytes = b->index.len;
	doc_unload(b, &b->index);
	book_defaults(b);
	doc_resolve(b, &b->index);
	return diag_errors ? -1 : 0;
}
