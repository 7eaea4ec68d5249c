package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
	"prequal/views"
)

func (s *Server) officersView(c echo.Context) (views.OfficersView, error) {
	list, err := s.store.Officers(c.Request().Context())
	if err != nil {
		return views.OfficersView{}, err
	}
	return views.OfficersView{AdminPage: s.adminPage(c, "Officers"), Officers: list, Errors: map[string]string{}}, nil
}

// adminOfficers lists officer accounts (admins only).
func (s *Server) adminOfficers(c echo.Context) error {
	v, err := s.officersView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminOfficers(v))
}

// adminCreateOfficer creates an officer account (admins only). An empty password
// is generated and shown once on the answer page, never stored in clear.
func (s *Server) adminCreateOfficer(c echo.Context) error {
	form := views.OfficerForm{Email: strings.TrimSpace(c.FormValue("email")), Role: c.FormValue("role")}
	password := c.FormValue("password")
	errs := map[string]string{}
	if msg := lending.ValidateOfficerEmail(form.Email); msg != "" {
		errs["email"] = msg
	}
	role, err := lending.ParseOfficerRole(form.Role)
	if err != nil {
		errs["role"] = "Choose officer or admin."
	}
	generated := ""
	if password == "" {
		generated = store.GeneratePassword()
		password = generated
	} else if msg := lending.ValidatePassword(password); msg != "" {
		errs["password"] = msg
	}
	if len(errs) == 0 {
		_, err = s.store.CreateOfficer(c.Request().Context(), store.NewOfficer{Email: form.Email, Role: role,
			Password: password, By: currentOfficer(c), IP: c.RealIP()})
		switch {
		case errors.Is(err, store.ErrOfficerExists):
			errs["email"] = "An officer with this email already exists."
		case err != nil:
			return err
		}
	}
	v, err := s.officersView(c)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		v.Form, v.Errors = form, errs
		return render(c, http.StatusUnprocessableEntity, views.AdminOfficers(v))
	}
	v.Created, v.GeneratedPassword = lending.NormalizeOfficerEmail(form.Email), generated
	return render(c, http.StatusOK, views.AdminOfficers(v))
}
