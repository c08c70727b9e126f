package annuaire_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/limit"
)

func TestLoadLimits(t *testing.T) {
	for _, c := range []struct {
		opts  annuaire.LoadOptions
		limit string
		max   int64
	}{
		{annuaire.LoadOptions{MaxRows: 2}, "row count", 2},
		{annuaire.LoadOptions{MaxBytes: 1000}, limit.Size, 1000},
		{annuaire.LoadOptions{MaxBytes: 10}, limit.Size, 10}, // inside the header
	} {
		_, err := annuaire.LoadIndex(context.Background(), strings.NewReader(handFile()), &c.opts)
		var le *limit.Error
		if !errors.As(err, &le) || !errors.Is(err, limit.ErrExceeded) || le.Limit != c.limit || le.Max != c.max {
			t.Errorf("%+v: %v", c.opts, err)
		}
	}
	// Negative: no budget.
	idx, err := annuaire.LoadIndex(context.Background(), strings.NewReader(handFile()), &annuaire.LoadOptions{MaxRows: -1, MaxBytes: -1})
	if err != nil || idx.Len() != 4 {
		t.Errorf("no budget: %v", err)
	}
}
