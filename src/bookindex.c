/*
 * Index terms.  The rules, not a word list, decide what is a term:
 *
 *  - a code span that names a Python object: a dotted name whose first
 *    part is a module imported in the book's examples or a built-in
 *    (asyncio.TaskGroup, sys.getrefcount, dict.get), a dunder name
 *    (__getattr__), a built-in (len, ValueError), an imported module
 *    (threading); a trailing call "()" or "(args)" is dropped;
 *  - a command-line option (-X importtime, -m, --check-hash-based-pycs)
 *    or a PYTHON* environment variable;
 *  - a concept the author marks with <!-- index: term; other term -->,
 *    which every other renderer shows as nothing.
 *
 * Literals, numbers, keywords, one-letter names, expressions and names
 * of the examples' own variables are not terms.  Each occurrence is
 * filed under the section (nearest heading below the title) it is in.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "highlight.h"
#include "bookindex.h"

struct mention {
	char			*text;
	char			*key;
	int			 code;
	size_t			 doc;		/* chapter number */
	size_t			 head;		/* heading index + 1, 0: top */
	const struct doc	*d;
	const struct heading	*h;
};

/* A code span, to be judged once every chapter's imports are known. */
struct codespan {
	char			*literal;
	const struct doc	*d;
	const struct heading	*h;
};

/* What the walk over the chapters finds. */
struct bookindex_walk {
	struct mention	*o;		/* terms found */
	size_t		 n, cap;
	struct codespan	*c;		/* code spans not yet judged */
	size_t		 nc, capc;
	char		**mods;		/* modules imported in the examples */
	size_t		 nmods, capmods;
	char		**made;		/* modules the examples write out */
	size_t		 nmade, capmade;
	int		 python;	/* the book's code is Python */
};

static int
is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static int
is_ident_char(int c)
{
	return isalnum(c) || c == '_';
}

/* Length of the identifier at s, 0 if none. */
static size_t
ident(const char *s)
{
	size_t	 n = 0;

	if (!is_ident_start((unsigned char)s[0]))
		return 0;
	while (is_ident_char((unsigned char)s[n]))
		n++;
	return n;
}

static int
is_dunder(const char *s, size_t n)
{
	return n > 4 && s[0] == '_' && s[1] == '_' && s[n - 1] == '_' &&
	    s[n - 2] == '_' && is_ident_start((unsigned char)s[2]) &&
	    s[2] != '_';
}

static int
in_mods(const char *const *mods, size_t n, const char *s, size_t len)
{
	size_t	 i;

	/* No strlen: this runs for every module on every code span. */
	for (i = 0; i < n; i++)
		if (mods[i][0] == s[0] && strncmp(mods[i], s, len) == 0 &&
		    mods[i][len] == '\0')
			return 1;
	return 0;
}

/* -X name, -m, --long-option: the option, without its value. */
static char *
option_term(const char *s)
{
	size_t	 n;

	if (s[0] != '-')
		return NULL;
	if (s[1] == 'X' && s[2] == ' ') {
		n = 3;
		while (islower((unsigned char)s[n]) || s[n] == '_')
			n++;
		if (n == 3 || (s[n] != '\0' && s[n] != '='))
			return NULL;
		return xstrndup(s, n);
	}
	if (isalpha((unsigned char)s[1]) && (s[2] == '\0' || s[2] == ' '))
		return xstrndup(s, 2);
	if (s[1] == '-' && islower((unsigned char)s[2])) {
		n = 2;
		while (islower((unsigned char)s[n]) || isdigit((unsigned char)s[n])
		    || s[n] == '-')
			n++;
		if (s[n] != '\0' && s[n] != '=' && s[n] != ' ')
			return NULL;
		return xstrndup(s, n);
	}
	return NULL;
}

char *
bookindex_code_term(const char *code, const char *const *mods, size_t nmods,
    int python)
{
	char		*s, *t, *term = NULL;
	const char	*p, *first, *last;
	size_t		 n, flen, llen, parts;

	s = xstrdup(code);
	t = str_trim(s);
	if ((term = option_term(t)) != NULL)
		goto out;
	if (python && strncmp(t, "PYTHON", 6) == 0) {
		for (n = 6; isupper((unsigned char)t[n]) ||
		    isdigit((unsigned char)t[n]) || t[n] == '_'; n++)
			;
		if (n > 6 && (t[n] == '\0' || t[n] == '='))
			term = xstrndup(t, n);
		goto out;
	}
	/* A call: keep the callee. */
	if ((p = strchr(t, '(')) != NULL) {
		n = strlen(t);
		if (t[n - 1] != ')')
			goto out;
		t[p - t] = '\0';
	}
	/* A dotted name and nothing else (a .py file name is allowed). */
	parts = 0;
	first = last = t;
	flen = llen = 0;
	for (p = t; ; ) {
		if ((n = ident(p)) == 0)
			goto out;
		if (parts++ == 0)
			flen = n;
		last = p;
		llen = n;
		p += n;
		if (*p == '\0')
			break;
		if (*p != '.')
			goto out;
		p++;
		if (strcmp(p, "py") == 0 && is_dunder(last, llen)) {
			term = xstrdup(last);
			goto out;
		}
	}
	if (!python || (highlight_keyword(first, flen) && parts == 1))
		goto out;
	if (parts == 1) {
		if (flen > 1 && (is_dunder(t, flen) ||
		    highlight_builtin(t, flen) || in_mods(mods, nmods, t, flen)))
			term = xstrdup(t);
		goto out;
	}
	if (flen > 1 && (highlight_builtin(first, flen) ||
	    in_mods(mods, nmods, first, flen)))
		term = xstrdup(t);
	else if (is_dunder(last, llen))
		/* obj.__attr__ on a variable: the dunder is the term. */
		term = xstrndup(last, llen);
out:
	free(s);
	return term;
}

/* Module names imported by the code blocks of the book. */
static void
add_mod(struct bookindex_walk *c, const char *s, size_t n)
{
	if (n < 2 || in_mods((const char *const *)c->mods, c->nmods, s, n))
		return;
	if (c->nmods == c->capmods) {
		c->capmods = c->capmods ? c->capmods * 2 : 64;
		c->mods = xreallocarray(c->mods, c->capmods, sizeof(*c->mods));
	}
	c->mods[c->nmods++] = xstrndup(s, n);
}

static void
scan_imports(struct bookindex_walk *c, const char *code)
{
	const char	*line, *s;
	size_t		 n;

	for (line = code; line != NULL && *line != '\0'; ) {
		s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, ">>> ", 4) == 0 || strncmp(s, "... ", 4) == 0)
			s += 4;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "import ", 7) == 0) {
			s += 7;
			for (;;) {
				while (*s == ' ')
					s++;
				if ((n = ident(s)) == 0)
					break;
				add_mod(c, s, n);
				s += n;
				while (*s != ',' && *s != '\n' && *s != '\0')
					s++;
				if (*s != ',')
					break;
				s++;
			}
		} else if (strncmp(s, "from ", 5) == 0 &&
		    (n = ident(s + 5)) > 0)
			add_mod(c, s + 5, n);
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
}

static char *
sort_key(const char *text)
{
	char	*k, *p;

	while (*text == '_' || *text == '-')
		text++;
	k = xstrdup(*text ? text : "_");
	for (p = k; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return k;
}

static void
add_occ(struct bookindex_walk *c, char *text, int code, const struct doc *d,
    const struct heading *h)
{
	struct mention	*o;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->o = xreallocarray(c->o, c->cap, sizeof(*c->o));
	}
	o = &c->o[c->n++];
	o->text = text;
	o->key = sort_key(text);
	o->code = code;
	o->doc = d->number;
	o->head = h ? (size_t)(h - d->heads) + 1 : 0;
	o->d = d;
	o->h = h;
}

/* Concepts in <!-- index: a; b --> comments of raw HTML. */
static void
scan_comment(struct bookindex_walk *c, const char *html, const struct doc *d,
    const struct heading *h)
{
	const char	*s = html, *end, *t, *semi;
	char		*term;

	while ((s = strstr(s, "<!--")) != NULL) {
		s += 4;
		if ((end = strstr(s, "-->")) == NULL)
			return;
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (strncmp(s, "index:", 6) != 0) {
			s = end;
			continue;
		}
		for (t = s + 6; t < end; t = semi + 1) {
			semi = memchr(t, ';', (size_t)(end - t));
			if (semi == NULL)
				semi = end;
			term = xstrndup(t, (size_t)(semi - t));
			/* Collapse blanks and newlines. */
			{
				char *r = term, *w = term;
				int sp = 0;

				for (; *r != '\0'; r++) {
					if (isspace((unsigned char)*r))
						sp = w > term;
					else {
						if (sp)
							*w++ = ' ';
						sp = 0;
						*w++ = *r;
					}
				}
				*w = '\0';
			}
			if (*term != '\0')
				add_occ(c, term, 0, d, h);
			else
				free(term);
			if (semi == end)
				break;
		}
		s = end;
	}
}

static void
add_cand(struct bookindex_walk *c, const char *literal, const struct doc *d,
    const struct heading *h)
{
	if (c->nc == c->capc) {
		c->capc = c->capc ? c->capc * 2 : 256;
		c->c = xreallocarray(c->c, c->capc, sizeof(*c->c));
	}
	c->c[c->nc].literal = xstrdup(literal);
	c->c[c->nc].d = d;
	c->c[c->nc].h = h;
	c->nc++;
}

/*
 * Python's standard library (sys.stdlib_module_names of 3.11 and 3.15,
 * the public names), sorted.  A module the examples import that is not
 * one of these, and that the examples write out themselves ("app/",
 * "models.py"), is the example's own: not a name to look up.
 */
static const char *const stdlib_modules[] = {
	"abc", "aifc", "annotationlib", "antigravity", "argparse", "array",
	"ast", "asynchat", "asyncio", "asyncore", "atexit", "audioop",
	"base64", "bdb", "binascii", "bisect", "builtins", "bz2", "cProfile",
	"calendar", "cgi", "cgitb", "chunk", "cmath", "cmd", "code",
	"codecs", "codeop", "collections", "colorsys", "compileall",
	"compression", "concurrent", "configparser", "contextlib",
	"contextvars", "copy", "copyreg", "crypt", "csv", "ctypes", "curses",
	"dataclasses", "datetime", "dbm", "decimal", "difflib", "dis",
	"distutils", "doctest", "email", "encodings", "ensurepip", "enum",
	"errno", "faulthandler", "fcntl", "filecmp", "fileinput", "fnmatch",
	"fractions", "ftplib", "functools", "gc", "genericpath", "getopt",
	"getpass", "gettext", "glob", "graphlib", "grp", "gzip", "hashlib",
	"heapq", "hmac", "html", "http", "idlelib", "imaplib", "imghdr",
	"imp", "importlib", "inspect", "io", "ipaddress", "itertools",
	"json", "keyword", "lib2to3", "linecache", "locale", "logging",
	"lzma", "mailbox", "mailcap", "marshal", "math", "mimetypes", "mmap",
	"modulefinder", "msilib", "msvcrt", "multiprocessing", "netrc",
	"nis", "nntplib", "nt", "ntpath", "nturl2path", "numbers", "opcode",
	"operator", "optparse", "os", "ossaudiodev", "pathlib", "pdb",
	"pickle", "pickletools", "pipes", "pkgutil", "platform", "plistlib",
	"poplib", "posix", "posixpath", "pprint", "profile", "profiling",
	"pstats", "pty", "pwd", "py_compile", "pyclbr", "pydoc",
	"pydoc_data", "pyexpat", "queue", "quopri", "random", "re",
	"readline", "reprlib", "resource", "rlcompleter", "runpy", "sched",
	"secrets", "select", "selectors", "shelve", "shlex", "shutil",
	"signal", "site", "smtpd", "smtplib", "sndhdr", "socket",
	"socketserver", "spwd", "sqlite3", "sre_compile", "sre_constants",
	"sre_parse", "ssl", "stat", "statistics", "string", "stringprep",
	"struct", "subprocess", "sunau", "symtable", "sys", "sysconfig",
	"syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios",
	"textwrap", "this", "threading", "time", "timeit", "tkinter",
	"token", "tokenize", "tomllib", "trace", "traceback", "tracemalloc",
	"tty", "turtle", "turtledemo", "types", "typing", "unicodedata",
	"unittest", "urllib", "uu", "uuid", "venv", "warnings", "wave",
	"weakref", "webbrowser", "winreg", "winsound", "wsgiref", "xdrlib",
	"xml", "xmlrpc", "zipapp", "zipfile", "zipimport", "zlib", "zoneinfo"
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
is_stdlib(const char *s, size_t n)
{
	size_t	 lo = 0, hi = NELEM(stdlib_modules), mid;
	int	 r;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		r = strncmp(stdlib_modules[mid], s, n);
		if (r == 0 && stdlib_modules[mid][n] != '\0')
			r = 1;
		if (r == 0)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Modules the examples make: a quoted path "NAME/...", "NAME.py" or
 * "NAME" given to a path function, in the code of a block.
 */
static void
scan_made(struct bookindex_walk *c, const char *code)
{
	const char	*s, *q;
	size_t		 n;

	for (s = code; (s = strpbrk(s, "\"'")) != NULL; s = q + 1) {
		q = strchr(s + 1, *s);
		if (q == NULL)
			return;
		if ((n = ident(s + 1)) == 0 || is_stdlib(s + 1, n))
			continue;
		if (s[1 + n] == '/' || (strncmp(s + 1 + n, ".py", 3) == 0 &&
		    s + 4 + n == q)) {
			if (c->nmade == c->capmade) {
				c->capmade = c->capmade ? c->capmade * 2 : 16;
				c->made = xreallocarray(c->made, c->capmade,
				    sizeof(*c->made));
			}
			c->made[c->nmade++] = xstrndup(s + 1, n);
		}
	}
}

/* The candidates of one chapter: code spans, comments, imports. */
static void
gather(struct bookindex_walk *c, const struct doc *d)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;
	const struct heading	*h = NULL, *title = doc_title(d);
	const struct codeinfo	*ci;

	doc_open(d);
	it = cmark_iter_new(d->root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		n = cmark_iter_get_node(it);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_HEADING:
			h = node_heading(n) == title ? NULL : node_heading(n);
			break;
		case CMARK_NODE_CODE_BLOCK:
			ci = node_code(n);
			if (ci != NULL && (ci->kind == CODE_PYTHON ||
			    ci->kind == CODE_PYCON)) {
				c->python = 1;
				scan_imports(c, cmark_node_get_literal(n));
				scan_made(c, cmark_node_get_literal(n));
			}
			break;
		case CMARK_NODE_CODE:
			add_cand(c, cmark_node_get_literal(n), d, h);
			break;
		case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_HTML_BLOCK:
			scan_comment(c, cmark_node_get_literal(n), d, h);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	doc_close(d);
}

/* Take out of the module set the modules the examples make. */
static void
drop_made(struct bookindex_walk *c)
{
	size_t	 i, k, m = 0;

	for (i = 0; i < c->nmods; i++) {
		for (k = 0; k < c->nmade; k++)
			if (strcmp(c->mods[i], c->made[k]) == 0)
				break;
		if (k < c->nmade)
			free(c->mods[i]);
		else
			c->mods[m++] = c->mods[i];
	}
	c->nmods = m;
}

static void
walk_free(struct bookindex_walk *c)
{
	size_t	 i;

	for (i = 0; i < c->nc; i++)
		free(c->c[i].literal);
	free(c->c);
	for (i = 0; i < c->nmods; i++)
		free(c->mods[i]);
	free(c->mods);
	for (i = 0; i < c->nmade; i++)
		free(c->made[i]);
	free(c->made);
	free(c->o);
}

static int
cmp_occ(const void *a, const void *b)
{
	const struct mention	*x = a, *y = b;
	int			 r;

	r = strcmp(x->key, y->key);
	if (r == 0)
		r = strcmp(x->text, y->text);
	if (r == 0)
		r = (x->code < y->code) - (x->code > y->code);
	if (r == 0)
		r = (x->doc > y->doc) - (x->doc < y->doc);
	if (r == 0)
		r = (x->head > y->head) - (x->head < y->head);
	return r;
}

struct bookindex_walk *
bookindex_start(void)
{
	return xcalloc(1, sizeof(struct bookindex_walk));
}

void
bookindex_chapter(void *walk, const struct doc *d)
{
	gather(walk, d);
}

void
bookindex_finish(struct bookindex_walk *c, struct bookindex *ix)
{
	struct bookindex_term	*t = NULL;
	char		*term;
	size_t		 i;

	memset(ix, 0, sizeof(*ix));
	drop_made(c);
	/* Every import is known now: judge the code spans. */
	for (i = 0; i < c->nc; i++) {
		term = bookindex_code_term(c->c[i].literal,
		    (const char *const *)c->mods, c->nmods, c->python);
		if (term != NULL)
			add_occ(c, term, 1, c->c[i].d, c->c[i].h);
	}
	if (c->n > 0)
		qsort(c->o, c->n, sizeof(*c->o), cmp_occ);
	for (i = 0; i < c->n; i++) {
		struct mention *o = &c->o[i];

		if (t == NULL || strcmp(t->text, o->text) != 0 ||
		    t->code != o->code) {
			ix->terms = xreallocarray(ix->terms, ix->n + 1,
			    sizeof(*ix->terms));
			t = &ix->terms[ix->n++];
			memset(t, 0, sizeof(*t));
			t->text = o->text;
			t->key = o->key;
			t->code = o->code;
		} else {
			free(o->text);
			free(o->key);
			if (t->refs[t->nrefs - 1].doc == o->d &&
			    t->refs[t->nrefs - 1].heading == o->h)
				continue;
		}
		t->refs = xreallocarray(t->refs, t->nrefs + 1,
		    sizeof(*t->refs));
		t->refs[t->nrefs].doc = o->d;
		t->refs[t->nrefs].heading = o->h;
		t->nrefs++;
	}
	walk_free(c);		/* the terms own the texts now */
	free(c);
}

void
bookindex_free(struct bookindex *ix)
{
	size_t	 i;

	for (i = 0; i < ix->n; i++) {
		free(ix->terms[i].text);
		free(ix->terms[i].key);
		free(ix->terms[i].refs);
	}
	free(ix->terms);
	memset(ix, 0, sizeof(*ix));
}

int
bookindex_letter(const struct bookindex_term *t)
{
	int	 c = (unsigned char)t->key[0];

	return isalpha(c) ? toupper(c) : '#';
}
