/*
 * Python and Python-console lexer for build-time highlighting.  One
 * pass, no backtracking beyond a token, state carried across lines so
 * that triple-quoted strings and console continuation lines work.
 */
#include <stdlib.h>
#include <string.h>

#include "highlight.h"

struct lex {
	highlight_fn	 fn;
	void		*arg;
	const char	*pcls;		/* pending run: class, start, length */
	const char	*ps;
	size_t		 plen;
	char		 quote;		/* 0, or the open string's quote */
	int		 triple;
	int		 fstr;
	int		 fdepth;	/* brace depth inside an f-string field */
	int		 after_def;	/* the next name is being defined */
	int		 prev_dot;	/* last token was '.' */
	int		 line_start;	/* nothing but blanks on this line */
};

/* Sorted (strcmp order), for in_set(). */
static const char *const keywords[] = {
	"False", "None", "True", "and", "as", "assert", "async", "await",
	"break", "class", "continue", "def", "del", "elif", "else", "except",
	"finally", "for", "from", "global", "if", "import", "in", "is",
	"lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
	"while", "with", "yield"
};

static const char *const builtins[] = {
	"ArithmeticError", "AssertionError", "AttributeError",
	"BaseException", "BaseExceptionGroup", "BlockingIOError",
	"BrokenPipeError", "BufferError", "BytesWarning",
	"ChildProcessError", "ConnectionAbortedError", "ConnectionError",
	"ConnectionRefusedError", "ConnectionResetError",
	"DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning",
	"EnvironmentError", "Exception", "ExceptionGroup",
	"FileExistsError", "FileNotFoundError", "FloatingPointError",
	"FutureWarning", "GeneratorExit", "IOError", "ImportError",
	"ImportWarning", "IndentationError", "IndexError",
	"InterruptedError", "IsADirectoryError", "KeyError",
	"KeyboardInterrupt", "LookupError", "MemoryError",
	"ModuleNotFoundError", "NameError", "NotADirectoryError",
	"NotImplemented", "NotImplementedError", "OSError",
	"OverflowError", "PendingDeprecationWarning", "PermissionError",
	"ProcessLookupError", "RecursionError", "ReferenceError",
	"ResourceWarning", "RuntimeError", "RuntimeWarning",
	"StopAsyncIteration", "StopIteration", "SyntaxError",
	"SyntaxWarning", "SystemError", "SystemExit", "TabError",
	"TimeoutError", "TypeError", "UnboundLocalError",
	"UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError",
	"UnicodeTranslateError", "UnicodeWarning", "UserWarning",
	"ValueError", "Warning", "ZeroDivisionError", "__import__", "abs",
	"aiter", "all", "anext", "any", "ascii", "bin", "bool",
	"breakpoint", "bytearray", "bytes", "callable", "chr",
	"classmethod", "compile", "complex", "delattr", "dict", "dir",
	"divmod", "enumerate", "eval", "exec", "filter", "float", "format",
	"frozenset", "getattr", "globals", "hasattr", "hash", "help", "hex",
	"id", "input", "int", "isinstance", "issubclass", "iter", "len",
	"list", "locals", "map", "max", "memoryview", "min", "next",
	"object", "oct", "open", "ord", "pow", "print", "property", "range",
	"repr", "reversed", "round", "set", "setattr", "slice", "sorted",
	"staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip"
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Is s (len bytes, not NUL-terminated) in the sorted set?  No copy. */
static int
in_set(const char *const *set, size_t n, const char *s, size_t len)
{
	size_t	 lo = 0, hi = n, mid;
	int	 r;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		r = strncmp(s, set[mid], len);
		if (r == 0 && set[mid][len] != '\0')
			r = -1;		/* s is a proper prefix */
		if (r == 0)
			return 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

int
highlight_keyword(const char *s, size_t len)
{
	return in_set(keywords, NELEM(keywords), s, len);
}

int
highlight_builtin(const char *s, size_t len)
{
	return in_set(builtins, NELEM(builtins), s, len);
}

static int
is_ident_start(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c >= 0x80;
}

static int
is_ident(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void
flush(struct lex *L)
{
	if (L->plen > 0)
		L->fn(L->arg, L->pcls, L->ps, L->plen);
	L->plen = 0;
}

/* Report a run; adjacent runs of one class are reported as one. */
static void
emit(struct lex *L, const char *cls, const char *s, size_t len)
{
	if (len == 0)
		return;
	if (L->plen > 0 && L->ps + L->plen == s && (L->pcls == cls ||
	    (L->pcls != NULL && cls != NULL && strcmp(L->pcls, cls) == 0))) {
		L->plen += len;
		return;
	}
	flush(L);
	L->pcls = cls;
	L->ps = s;
	L->plen = len;
}

/*
 * Inside a string from s[i]: emit up to its end (or the end of the
 * chunk, the string staying open) and return the index after it.
 */
static size_t
string_body(struct lex *L, const char *s, size_t len, size_t i)
{
	size_t	 start = i;
	char	 c;

	while (i < len) {
		c = s[i];
		if (L->fdepth > 0) {
			if ((c == '\'' || c == '"') && c != L->quote) {
				/* A string inside the field: skip it. */
				const char *q = memchr(s + i + 1, c, len - i - 1);
				const char *e = memchr(s + i, '\n', len - i);

				if (q != NULL && (e == NULL || q < e)) {
					i = (size_t)(q - s) + 1;
					continue;
				}
			}
			if (c == '{')
				L->fdepth++;
			else if (c == '}' && --L->fdepth == 0) {
				i++;
				emit(L, "si", s + start, i - start);
				start = i;
				continue;
			} else if (c == '\n' && !L->triple) {
				emit(L, "si", s + start, i - start);
				L->quote = 0;
				L->fdepth = 0;
				return i;
			}
			i++;
			continue;
		}
		if (c == '\\') {
			i += i + 1 < len ? 2 : 1;
			continue;
		}
		if (c == '\n' && !L->triple) {
			/* Unterminated: the string ends with the line. */
			emit(L, "s", s + start, i - start);
			L->quote = 0;
			return i;
		}
		if (L->fstr && c == '{') {
			if (i + 1 < len && s[i + 1] == '{') {
				i += 2;
				continue;
			}
			emit(L, "s", s + start, i - start);
			start = i++;
			L->fdepth = 1;
			continue;
		}
		if (c == L->quote) {
			if (!L->triple) {
				i++;
				emit(L, "s", s + start, i - start);
				L->quote = 0;
				return i;
			}
			if (i + 2 < len && s[i + 1] == c && s[i + 2] == c) {
				i += 3;
				emit(L, "s", s + start, i - start);
				L->quote = 0;
				return i;
			}
		}
		i++;
	}
	emit(L, L->fdepth ? "si" : "s", s + start, i - start);
	return i;
}

/* A string prefix (r, b, f, u and pairs) followed by a quote? */
static size_t
string_start(const char *s, size_t len, size_t i, int *fstr)
{
	size_t	 j = i;
	int	 f = 0;

	while (j < len && j - i < 2 && strchr("rRbBuUfF", s[j]) != NULL &&
	    s[j] != '\0') {
		if (s[j] == 'f' || s[j] == 'F')
			f = 1;
		j++;
	}
	if (j < len && (s[j] == '\'' || s[j] == '"')) {
		*fstr = f;
		return j - i;
	}
	return (size_t)-1;
}

static size_t
number(const char *s, size_t len, size_t i)
{
	int	 based = 0;

	if (s[i] == '0' && i + 1 < len && strchr("xXoObB", s[i + 1]) != NULL) {
		based = 1;
		i += 2;
	}
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (is_ident(c) || c == '.')
			i++;
		else if ((c == '+' || c == '-') && !based &&
		    (s[i - 1] == 'e' || s[i - 1] == 'E'))
			i++;
		else
			break;
	}
	return i;
}

/* Lex a chunk of Python source. */
static void
lex_python(struct lex *L, const char *s, size_t len)
{
	size_t	 i = 0, j, plen;
	int	 fstr;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (L->quote) {
			i = string_body(L, s, len, i);
			continue;
		}
		if (c == '\n') {
			emit(L, NULL, s + i, 1);
			L->line_start = 1;
			L->prev_dot = 0;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
			emit(L, NULL, s + i, 1);
			i++;
			continue;
		}
		if (c == '#') {
			j = i;
			while (j < len && s[j] != '\n')
				j++;
			emit(L, "c", s + i, j - i);
			i = j;
			continue;
		}
		if ((plen = string_start(s, len, i, &fstr)) != (size_t)-1) {
			j = i + plen;
			L->quote = s[j];
			L->fstr = fstr;
			L->fdepth = 0;
			if (j + 2 < len && s[j + 1] == s[j] && s[j + 2] == s[j]) {
				L->triple = 1;
				j += 3;
			} else {
				L->triple = 0;
				j += 1;
			}
			emit(L, "s", s + i, j - i);
			i = j;
			L->line_start = L->prev_dot = L->after_def = 0;
			continue;
		}
		if (is_digit(c) || (c == '.' && i + 1 < len &&
		    is_digit((unsigned char)s[i + 1]) && !L->prev_dot)) {
			j = number(s, len, i);
			emit(L, "m", s + i, j - i);
			i = j;
			L->line_start = L->prev_dot = 0;
			continue;
		}
		if (is_ident_start(c)) {
			const char *cls = NULL;

			j = i;
			while (j < len && is_ident((unsigned char)s[j]))
				j++;
			if (!L->prev_dot && in_set(keywords, NELEM(keywords),
			    s + i, j - i)) {
				cls = "k";
				L->after_def = (j - i == 3 &&
				    memcmp(s + i, "def", 3) == 0) ||
				    (j - i == 5 &&
				    memcmp(s + i, "class", 5) == 0);
			} else if (L->after_def) {
				cls = "nf";
				L->after_def = 0;
			} else if (!L->prev_dot && in_set(builtins,
			    NELEM(builtins), s + i, j - i))
				cls = "nb";
			emit(L, cls, s + i, j - i);
			i = j;
			L->line_start = L->prev_dot = 0;
			continue;
		}
		if (c == '@' && L->line_start) {
			j = i + 1;
			while (j < len && (is_ident((unsigned char)s[j]) ||
			    s[j] == '.'))
				j++;
			emit(L, "nd", s + i, j - i);
			i = j;
			L->line_start = L->prev_dot = 0;
			continue;
		}
		/* Operators and punctuation, one byte at a time. */
		emit(L, NULL, s + i, 1);
		L->prev_dot = c == '.';
		L->line_start = 0;
		L->after_def = 0;
		i++;
	}
}

static void
reset(struct lex *L)
{
	L->quote = 0;
	L->triple = L->fstr = L->fdepth = 0;
	L->after_def = L->prev_dot = 0;
	L->line_start = 1;
}

/* Is the line a prompt ("PPP " or "PPP" alone)?  Returns its length. */
static size_t
prompt(const char *line, size_t n, const char *ppp)
{
	if (n >= 3 && memcmp(line, ppp, 3) == 0) {
		if (n == 3 || line[3] == '\n')
			return 3;
		if (line[3] == ' ')
			return 4;
	}
	return 0;
}

void
highlight(const char *s, size_t len, int pycon, highlight_fn fn, void *arg)
{
	struct lex	 L;
	const char	*nl;
	size_t		 i, n, p;
	int		 in_input = 0, in_tb = 0;

	memset(&L, 0, sizeof(L));
	L.fn = fn;
	L.arg = arg;
	reset(&L);
	if (!pycon) {
		lex_python(&L, s, len);
		flush(&L);
		return;
	}
	for (i = 0; i < len; i += n) {
		nl = memchr(s + i, '\n', len - i);
		n = nl ? (size_t)(nl - (s + i)) + 1 : len - i;
		if ((p = prompt(s + i, n, ">>>")) > 0) {
			reset(&L);
			in_input = 1;
			in_tb = 0;
		} else if (in_input && (p = prompt(s + i, n, "...")) > 0) {
			;
		} else {
			/* Output, maybe a traceback, until the next prompt. */
			in_input = 0;
			if (n >= 34 && memcmp(s + i, "Traceback (most recent "
			    "call last):", 34) == 0)
				in_tb = 1;
			emit(&L, in_tb ? "gt" : "go", s + i,
			    n - (nl != NULL));
			if (nl != NULL)
				emit(&L, NULL, nl, 1);
			continue;
		}
		emit(&L, "gp", s + i, p);
		L.line_start = 1;
		lex_python(&L, s + i + p, n - p);
	}
	flush(&L);
}
