# `sluice` holds Sluice's own image (Dockerfile); the model repositories hold
# the model server images that deployments name as "<repo>:<tag>". Tags are
# immutable, so a tag resolves to one digest for good, and every push is
# scanned.

locals {
  ecr_repositories = toset(concat(["sluice"], var.model_repositories))
}

resource "aws_ecr_repository" "this" {
  for_each = local.ecr_repositories

  name                 = each.value
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = var.kms_key_arn == null ? "AES256" : "KMS"
    kms_key         = var.kms_key_arn
  }
}
