"""Services: the clinic's workflows, one module or package per `Clinic` attribute (clinic.clients,
clinic.notes, …); each subclasses `services.base.Service`. The packages (billing, groups, plans,
notes, discharge) hold a `service` module and the parts it is made of.
"""
