from django.core.management.base import BaseCommand

from core import search


class Command(BaseCommand):
    help = "Rebuild the full-text search index of every registered model (after an import)."

    def handle(self, *args, **options):
        for index in list(search._registry.values()):
            count = search.search_index_rebuild(index.model)
            self.stdout.write(f"{index.label}: {count} indexed")
