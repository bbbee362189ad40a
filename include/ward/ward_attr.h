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

/* The body of a context the caller allocates but never looks into (as
 * HomeKit ADK's HAP_OPAQUE): size bytes, aligned for any field the core
 * keeps there. The core's real struct is private and a build-time check
 * proves it fits, so the caller's sizeof does not change with the core's
 * insides and no field can be touched by mistake. Used as
 * `typedef struct ward_x { WARD_OPAQUE(WARD_X_CTX_SIZE); } ward_x;`. */
#define WARD_OPAQUE(size)                                                    \
    union {                                                                  \
        unsigned char bytes[size];                                           \
        unsigned long long align_ll;                                         \
        void *align_ptr;                                                     \
        void (*align_fn)(void);                                              \
    } opaque

#endif /* WARD_ATTR_H */
