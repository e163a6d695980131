"""What a medical journal checks before an editor reads a manuscript: its article type,
the statements it must carry, and its references (../shared/design/MEDICAL.md).
Each finding is a line for the author and a warning for the editor; none refuses a
submission."""
