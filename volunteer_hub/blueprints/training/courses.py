"""Courses: the list everyone sees, and staff's form to add or change one."""

from flask import (
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user, login_required

from volunteer_hub.blueprints.training import bp
from volunteer_hub.blueprints.training.forms import (
    CourseEditForm,
)
from volunteer_hub.forms import choices
from volunteer_hub.security import (
    STAFF,
    get_course_or_404,
    is_staff,
    role_required,
)
from volunteer_hub.services import training as training_service
from volunteer_hub.unit_of_work import refused_status, unit_of_work


@bp.get("/courses")
@login_required
def course_list():
    courses = training_service.list_courses(include_retired=is_staff(current_user))
    return render_template("training/courses.html", courses=courses)


def _course_form(course=None) -> CourseEditForm:
    form = CourseEditForm(obj=course)
    others = [c for c in training_service.list_courses() if course is None or c.id != course.id]
    form.prerequisite_id.choices = choices([("", "None")] + [(c.id, c.title) for c in others])
    return form


@bp.route("/courses/new", methods=["GET", "POST"], defaults={"course_id": None})
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def course_edit(course_id):
    course = get_course_or_404(course_id) if course_id else None
    form = _course_form(course)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            course = training_service.save_course(course, **{f: getattr(form, f).data for f in training_service.COURSE_FIELDS})
        if work.ok:
            flash(f"{course.title} is saved.", "success")
            return redirect(url_for("training.course_list"))
    return render_template("training/course_edit.html", form=form, course=course), refused_status(form)
