"""Pure Python rules of the hall: no Flask, no SQL, no hardware."""
