package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/compose-spec/compose-go/v2/cli"
)

// composeLoad loads docker-compose.yml (or its edited copy in r) with
// compose-go, the loader `docker compose` itself uses: the compose
// specification's schema, interpolation, YAML anchors and merges, profiles
// and the consistency of depends_on, networks and volumes. It returns the
// services that `docker compose --profile <profiles> up` would start.
func composeLoad(ctx context.Context, tmp string, r repo, profiles ...string) ([]string, error) {
	b, err := r.read("docker-compose.yml")
	if err != nil {
		return nil, err
	}
	file := filepath.Join(tmp, "docker-compose.yml")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(r.root)
	if err != nil {
		return nil, err
	}
	opts, err := cli.NewProjectOptions([]string{file}, cli.WithName("opsmetrics"), cli.WithWorkingDirectory(root),
		cli.WithProfiles(profiles), cli.WithConsistency(true), cli.WithEnv([]string{}))
	if err != nil {
		return nil, err
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker-compose.yml (compose-go, profiles %v): %w", profiles, err)
	}
	names := p.ServiceNames()
	slices.Sort(names)
	return names, nil
}
