"""What the district's own pages send when a record changes, for the apps that keep something in
step with it without learning knowing them: the catalog raises the sequence of the calendar
events that show a building's name and address, or a facilitator's name (catalog/receivers.py).
Each is sent after the change is saved, in the same transaction."""

from django.dispatch import Signal

# Sent with building= (the saved Building) and changed_fields= (the names of the changed fields).
building_changed = Signal()
# Sent with staff= (the saved StaffMember) and changed_fields=.
staff_changed = Signal()
# Sent with staff_ids= (the people whose records a change has just separated), in the change's
# transaction: their access ends with it (accounts/receivers.py).
staff_separated = Signal()
# Sent with staff_ids= (the people a change has made employed again after a separation), in the
# change's transaction: their access comes back (accounts/receivers.py).
staff_rehired = Signal()
