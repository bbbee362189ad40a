/*
 * ward_attr.h - the attributes ward's public declarations carry.
 *
 * WARD_MUST_CHECK marks every call that can fail: ignoring its ward_err is
 * a compiler warning (an error in ward's own -Werror build), because a
 * result not looked at is how a refused signature or a full store goes
 * unnoticed. GCC does not accept a (void) cast as looking at it; a call
 * whose failure truly changes nothing says so with
 * `if (f(...) != WARD_OK) { ... why ... }`. A compiler without the
 * attribute gets an empty macro; -DWARD_MUST_CHECK= turns it off.
 */
#ifndef WARD_ATTR_H
#define WARD_ATTR_H

#ifndef WARD_MUST_CHECK
#if defined(__GNUC__) || defined(__clang__)
#define WARD_MUST_CHECK __attribute__((warn_unused_result))
#else
#define WARD_MUST_CHECK
#endif
#endif

#endif /* WARD_ATTR_H */
