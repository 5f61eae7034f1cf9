"""Pages of the account's admins: the Admins list, invitations, one-time links, passwords."""

from __future__ import annotations

from functools import partial

from starlette.responses import Response

from enlist.admin.visit import PRESESSION_COOKIE, SESSION_COOKIE, PageRoute, Visit
from enlist.domain.admins import MIN_PASSWORD, AccountAdmin
from enlist.domain.errors import EnlistError, NotFound
from enlist.services import admins, sessions

LINK_COOKIE = "enlist_link"  # the one-time link just made, shown once on the Admins page
LINK_SHOWN_FOR = 300  # seconds the page may take to load after the redirect


def _base_url(visit: Visit) -> str:
    if visit.settings.public_url:
        return visit.settings.public_url.rstrip("/")
    return f"{visit.request.url.scheme}://{visit.request.url.netloc}"


def admins_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    assert visit.admin is not None
    shown = visit.site.signer.unsign("link", visit.request.cookies.get(LINK_COOKIE), LINK_SHOWN_FOR)
    response = visit.render(
        "admins.html",
        status_code=status,
        admins=admins.account_admins(visit.db, visit.account_id),
        me=visit.admin,
        error=error,
        form={"email": visit.field("email"), "role": visit.field("role") or "admin"},
        link=shown if isinstance(shown, dict) else None,
    )
    if LINK_COOKIE in visit.request.cookies:
        response.delete_cookie(LINK_COOKIE, path="/admins")  # shown once
    return response


def _show_link(visit: Visit, link: admins.OneTimeLink, message: str) -> Response:
    response = visit.redirect("/admins", message)
    shown = {
        "email": link.admin.email,
        "url": link.url(_base_url(visit)),
        "expires": f"{link.expires:%Y-%m-%d %H:%M} UTC",
    }
    signed = visit.site.signer.sign("link", shown)
    visit.site.set_cookie(
        visit.request, response, LINK_COOKIE, signed, LINK_SHOWN_FOR, path="/admins"
    )
    return response


def invite(visit: Visit) -> Response:
    email, role = visit.field("email"), visit.field("role") or "admin"
    try:
        link = admins.invite(visit.db, visit.account_id, email, role, actor=visit.actor)
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "admin.invite",
            f"Refused to invite {email!r}",
            partial(admins_page, visit),
            resource_type="Admin",
            resource_name=email or None,
        )
    return _show_link(
        visit, link, f"Invited {link.admin.email} as {link.admin.role}. Send them the link below."
    )


def _target(visit: Visit) -> AccountAdmin:
    wanted = visit.request.path_params["id"]
    for admin in admins.account_admins(visit.db, visit.account_id):
        if admin.id == wanted:
            return admin
    raise NotFound(f"There is no admin {wanted}.")


def new_link(visit: Visit) -> Response:
    """A pending admin's invitation again, with a new link (the old one stops working)."""
    target = _target(visit)
    try:
        link = admins.invite(
            visit.db, visit.account_id, target.email, target.role, actor=visit.actor
        )
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "admin.invite",
            f"Refused to invite {target.email} again",
            partial(admins_page, visit),
            resource_type="Admin",
            resource_id=target.id,
            resource_name=target.email,
        )
    return _show_link(
        visit, link, f"Made a new link for {target.email}; the old one stops working."
    )


def remove(visit: Visit) -> Response:
    assert visit.admin is not None
    target = _target(visit)
    try:
        admins.remove(visit.db, visit.account_id, target.email, actor=visit.actor)
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "admin.remove",
            f"Refused to remove {target.email}",
            partial(admins_page, visit),
            resource_type="Admin",
            resource_id=target.id,
            resource_name=target.email,
        )
    if target.id == visit.admin.admin_id:  # they left the account: their session ended too
        response = visit.redirect("/sign-in", "You are no longer an admin of this account.")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    what = "Withdrew the invitation of" if target.pending else "Removed"
    return visit.redirect("/admins", f"{what} {target.email}.")


def change_role(visit: Visit) -> Response:
    target = _target(visit)
    role = "admin" if target.is_owner else "owner"
    try:
        changed = admins.set_role(visit.db, visit.account_id, target.email, role, actor=visit.actor)
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "admin.role",
            f"Refused to make {target.email} {'an admin' if target.is_owner else 'an owner'}",
            partial(admins_page, visit),
            resource_type="Admin",
            resource_id=target.id,
            resource_name=target.email,
        )
    return visit.redirect(
        "/admins", f"{changed.email} is now {'an owner' if changed.is_owner else 'an admin'}."
    )


# choosing a password through a one-time link (public: the person is not signed in) -----


def set_password_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    token = visit.request.path_params["token"]
    try:
        holder = admins.link_holder(visit.db, token)
    except NotFound as gone:
        return visit.render(
            "error.html", status_code=404, title="This link does not work", message=gone.detail
        )
    if not visit.request.cookies.get(PRESESSION_COOKIE):
        visit.presession = visit.site.new_presession()
        visit.cookies_to_set.append((PRESESSION_COOKIE, visit.presession, 3600))
    response = visit.render(
        "set_password.html",
        status_code=status,
        holder=holder,
        error=error,
        min_password=MIN_PASSWORD,
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response


def set_password(visit: Visit) -> Response:
    token = visit.request.path_params["token"]
    password = visit.form.get("password") if visit.form else None
    again = visit.form.get("confirm") if visit.form else None
    if not isinstance(password, str) or password != again:
        return set_password_page(visit, 400, "The two passwords are not the same.")
    try:
        holder = admins.use_link(visit.db, token, password)
    except NotFound as gone:
        return visit.render(
            "error.html", status_code=404, title="This link does not work", message=gone.detail
        )
    except EnlistError as refused:
        return set_password_page(visit, 400, refused.detail)
    sessions.forget_failed_sign_ins(visit.db, holder.email)
    return visit.redirect(
        "/sign-in", f"Your password is set. Sign in as {holder.email} with it now."
    )


# changing one's own password -------------------------------------------------------------


def password_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    return visit.render("password.html", status_code=status, error=error, min_password=MIN_PASSWORD)


def change_password(visit: Visit) -> Response:
    assert visit.admin is not None and visit.form is not None
    current, new, again = (visit.form.get(k) for k in ("current", "password", "confirm"))
    if not all(isinstance(v, str) and v for v in (current, new, again)):
        return password_page(visit, 400, "Fill in all three fields.")
    assert isinstance(current, str) and isinstance(new, str)
    if new != again:
        return password_page(visit, 400, "The two new passwords are not the same.")
    try:
        ended = admins.change_password(
            visit.db,
            visit.admin.admin_id,
            current,
            new,
            keep_session=sessions.session_digest(visit.admin.token),
            actor=visit.actor,
        )
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "admin.password",
            "Refused to change the password",
            partial(password_page, visit),
            resource_type="Admin",
            resource_id=visit.admin.admin_id,
            resource_name=visit.admin.email,
        )
    others = f" {ended} other session{'s' if ended != 1 else ''} ended." if ended else ""
    return visit.redirect("/", f"Your password is changed.{others}")


ROUTES: list[PageRoute] = [
    ("/admins", ["GET"], admins_page, False),
    ("/admins", ["POST"], invite, False),
    ("/admins/{id}/link", ["POST"], new_link, False),
    ("/admins/{id}/remove", ["POST"], remove, False),
    ("/admins/{id}/role", ["POST"], change_role, False),
    ("/password", ["GET"], password_page, False),
    ("/password", ["POST"], change_password, False),
    ("/set-password/{token}", ["GET"], set_password_page, True),
    ("/set-password/{token}", ["POST"], set_password, True),
]
