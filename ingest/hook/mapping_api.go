package hook

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// maxMappingBody bounds a PUT's body: a mapping is a few hundred rules.
const maxMappingBody = 64 << 10

// RegisterMappingAPI adds the mapping API to admin, a group that requires
// an admin token; orgOf gives the token's org, the only org a request
// sees:
//
//	GET /hooks/mappings/:tool   the org's effective mapping of tool (MappingList)
//	PUT /hooks/mappings/:tool   apply a MappingPatch (null removes an override); 200 with the MappingList after it
//
// Errors are returned for the service's error table: *MappingError (an
// unknown tool, a bad body, phase, outcome, client or project; nothing is
// written) and the store's.
func RegisterMappingAPI(admin *echo.Group, ms *Mappings, orgOf func(echo.Context) (string, bool)) {
	org := func(ec echo.Context) (string, error) {
		o, ok := orgOf(ec)
		if !ok {
			return "", errors.New("hook: mapping routes registered without auth")
		}
		return o, nil
	}
	admin.GET("/hooks/mappings/:tool", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		list, err := ms.List(ec.Request().Context(), o, ec.Param("tool"))
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, list)
	})
	admin.PUT("/hooks/mappings/:tool", func(ec echo.Context) error {
		o, err := org(ec)
		if err != nil {
			return err
		}
		tool := ec.Param("tool")
		if err := checkMapTool(tool); err != nil {
			return err // before the body: the tool is the first thing wrong
		}
		p, err := decodePatch(ec.Request().Body)
		if err != nil {
			return err
		}
		ctx := ec.Request().Context()
		if err := ms.Apply(ctx, o, tool, p); err != nil {
			return err
		}
		list, err := ms.List(ctx, o, tool)
		if err != nil {
			return err
		}
		return ec.JSON(http.StatusOK, list)
	})
}

// decodePatch reads one JSON object of phases, outcomes and targets; any
// other field, a value of the wrong type, null, an array or a second value
// after the object is a *MappingError for the body.
func decodePatch(body io.Reader) (MappingPatch, error) {
	const want = `want one JSON object {"phases": {"Status": "phase" or null}, "outcomes": {"Status": "approved" or null}, "targets": {"container": {"client": "id or name", "project": "id or name"} or null}}`
	var p *MappingPatch
	dec := json.NewDecoder(io.LimitReader(body, maxMappingBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p == nil {
		why := want
		if err != nil {
			why = err.Error() + "; " + want
		}
		return MappingPatch{}, &MappingError{Field: "body", Value: "", Why: why}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return MappingPatch{}, &MappingError{Field: "body", Value: "", Why: "a second value after the object (or over 64 KiB); " + want}
	}
	return *p, nil
}
