package collect

import (
	"context"
	"errors"
)

// harvestTool pulls Harvest API v2 (https://help.getharvest.com/api-v2/).
type harvestTool struct{}

var _ Tool = harvestTool{}

func (harvestTool) Kind() string { return "harvest" }

func (harvestTool) Check(s Source) error {
	if s.AccountID == "" {
		return errors.New("harvest: --account-id is required (Harvest > Developers > Personal access tokens shows it)")
	}
	return nil
}

func (harvestTool) Pull(ctx context.Context, p Pull, out Emitter) (Cursor, error) {
	return Cursor{}, errors.New("harvest: not yet")
}
